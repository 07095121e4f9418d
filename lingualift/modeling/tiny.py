"""Tiny random encoders and LLMs with tokenizers trained on the spot: for tests, benchmarks and the offline
demo.

Nothing is downloaded: configs are built by hand and byte-level BPE tokenizers are trained (in well under a
second) on a small multilingual corpus, so every script can run on any machine.

Example::

    from lingualift.modeling.tiny import build_tiny_components
    enc_dir, llm_dir = build_tiny_components("/tmp/tiny", encoder="mt5", llm="llama")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedTokenizerFast

from lingualift.modeling.components import build_encoder_from_config

ENCODER_FAMILIES = ("mt5", "bert", "xlmr")
LLM_FAMILIES = ("llama", "qwen2", "gemma", "gpt2")

TINY_CORPUS = [
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning.",
    "How many eggs does she sell at the farmers' market every day?",
    "Translate the following text into English. The answer is 18.",
    "Le chat noir mange la souris dans la maison. Combien de pommes a-t-il?",
    "El perro come la comida en la casa grande. ¿Cuántos huevos vende?",
    "Der Hund läuft schnell über die Straße und die Katze schläft.",
    "Mbwa anakula chakula nyumbani. Ana mayai mangapi kila siku?",
    "แมวกินปลาในบ้าน ไข่กี่ฟอง",
    "বিড়াল বাড়িতে মাছ খায়। কতগুলো ডিম?",
    "猫在家里吃鱼。她每天卖多少个鸡蛋？",
    "Кошка ест рыбу дома. Сколько яиц она продаёт?",
    "猫は家で魚を食べます。卵はいくつですか。",
    "Solve the problem step by step: 3 + 4 = 7, 12 * 5 = 60, 100 / 4 = 25.",
    "### Instruction: ### Input: ### Response: <|im_start|>user <|im_end|> assistant",
]

_LLM_SPECIALS = {
    "llama": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "qwen2": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "gemma": {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"},
    "gpt2": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
}
_ENCODER_SPECIALS = {
    "mt5": {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"},
    "bert": {
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "mask_token": "[MASK]",
    },
    "xlmr": {
        "bos_token": "<s>",
        "pad_token": "<pad>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "cls_token": "<s>",
        "sep_token": "</s>",
        "mask_token": "<mask>",
    },
}
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def train_tiny_tokenizer(
    specials: dict[str, str], vocab_size: int = 400, extra: list[str] | None = None
) -> Tokenizer:
    """A byte-level BPE tokenizer (any Unicode input round-trips) trained on :data:`TINY_CORPUS`."""
    special_tokens = list(dict.fromkeys(specials.values())) + list(extra or [])
    tokenizer = Tokenizer(models.BPE(unk_token=specials.get("unk_token")))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(TINY_CORPUS * 4, trainer=trainer)
    return tokenizer


def _llm_tokenizer(family: str) -> PreTrainedTokenizerFast:
    specials = _LLM_SPECIALS[family]
    tok = train_tiny_tokenizer(specials, extra=["<|im_start|>"] if family == "qwen2" else None)
    if "bos_token" in specials and family in ("llama", "gemma"):
        bos = specials["bos_token"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, tok.token_to_id(bos))]
        )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, **specials)
    if family == "qwen2":
        fast.chat_template = CHATML_TEMPLATE
    return fast


def _encoder_tokenizer(family: str) -> PreTrainedTokenizerFast:
    specials = _ENCODER_SPECIALS[family]
    tok = train_tiny_tokenizer(specials, vocab_size=350)
    if family == "mt5":
        tok.post_processor = processors.TemplateProcessing(
            single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))]
        )
    else:
        cls_tok, sep_tok = specials["cls_token"], specials["sep_token"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{cls_tok} $A {sep_tok}",
            pair=f"{cls_tok} $A {sep_tok} $B {sep_tok}",
            special_tokens=[(cls_tok, tok.token_to_id(cls_tok)), (sep_tok, tok.token_to_id(sep_tok))],
        )
    return PreTrainedTokenizerFast(tokenizer_object=tok, **specials)


def tiny_llm_config(family: str, vocab_size: int, tokenizer: PreTrainedTokenizerFast, hidden: int = 32):
    """A 2-layer config of an LLM family, sized for fast CPU tests."""
    ids = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    if family == "gpt2":
        return AutoConfig.for_model(
            "gpt2", vocab_size=vocab_size, n_embd=hidden, n_layer=2, n_head=4, n_positions=1024, **ids
        )
    common = dict(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        **ids,
    )
    if family == "gemma":
        common["head_dim"] = hidden // 4
    if family == "qwen2":
        common["tie_word_embeddings"] = True
    return AutoConfig.for_model(family, **common)


def tiny_encoder_config(family: str, vocab_size: int, tokenizer: PreTrainedTokenizerFast, hidden: int = 24):
    """A 2-layer encoder config (mT5, BERT or XLM-R family)."""
    if family == "mt5":
        return AutoConfig.for_model(
            "mt5",
            vocab_size=vocab_size,
            d_model=hidden,
            d_kv=8,
            num_heads=3,
            d_ff=2 * hidden,
            num_layers=2,
            num_decoder_layers=2,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            feed_forward_proj="gated-gelu",
            tie_word_embeddings=False,
        )
    model_type = "bert" if family == "bert" else "xlm-roberta"
    return AutoConfig.for_model(
        model_type,
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=3,
        intermediate_size=2 * hidden,
        max_position_embeddings=258,
        pad_token_id=tokenizer.pad_token_id,
    )


def build_tiny_components(
    directory: str | os.PathLike,
    encoder: str = "mt5",
    llm: str = "llama",
    seed: int = 0,
    llm_hidden: int = 32,
) -> tuple[Path, Path]:
    """Save a tiny random encoder and LLM (with tokenizers) under ``directory``; returns their two
    directories.

    Re-uses directories that already exist (builds are deterministic for a given seed).
    """
    if encoder not in ENCODER_FAMILIES or llm not in LLM_FAMILIES:
        raise ValueError(f"unknown family: encoder in {ENCODER_FAMILIES}, llm in {LLM_FAMILIES}")
    directory = Path(directory)
    enc_dir, llm_dir = directory / f"tiny-{encoder}-encoder", directory / f"tiny-{llm}-{llm_hidden}-llm"
    torch.manual_seed(seed)
    if not (enc_dir / "config.json").is_file():
        tok = _encoder_tokenizer(encoder)
        model = build_encoder_from_config(tiny_encoder_config(encoder, len(tok), tok))
        model.save_pretrained(enc_dir)
        tok.save_pretrained(enc_dir)
    if not (llm_dir / "config.json").is_file():
        tok = _llm_tokenizer(llm)
        model = AutoModelForCausalLM.from_config(tiny_llm_config(llm, len(tok), tok, hidden=llm_hidden))
        model.save_pretrained(llm_dir)
        tok.save_pretrained(llm_dir)
    return enc_dir, llm_dir


def build_tiny_model(
    directory: str | os.PathLike,
    encoder: str = "mt5",
    llm: str = "llama",
    bridge_type: str = "mlp2",
    seed: int = 0,
) -> tuple[Any, Any]:
    """``(model, processor)``: a tiny bridged model and its processor."""
    from lingualift.modeling import LinguaLiftForCausalLM, LinguaLiftProcessor

    enc_dir, llm_dir = build_tiny_components(directory, encoder=encoder, llm=llm, seed=seed)
    torch.manual_seed(seed)
    processor = LinguaLiftProcessor.from_components(enc_dir, llm_dir)
    model = LinguaLiftForCausalLM.from_components(
        encoder=enc_dir, llm=llm_dir, processor=processor, bridge_type=bridge_type
    )
    return model, processor
