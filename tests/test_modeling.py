"""The bridged model: reference parity, generation invariants, stages, checkpoints and input errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

import lingualift
from lingualift import LinguaLiftConfig, LinguaLiftForCausalLM, LinguaLiftProcessor
from lingualift.errors import CheckpointError, ConfigError, InputDataError
from lingualift.modeling.tiny import LLM_FAMILIES, build_tiny_components
from lingualift.persistence import load_card_data

INSTRUCTIONS = ["Translate the following French text into English:", "Answer the question."]
INPUTS = ["Le chat noir mange la souris.", "Combien de pommes? 12 * 5 = 60, donc la réponse est 60."]
RESPONSES = ["The black cat eats the mouse.", "The answer is 60."]


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return tmp_path_factory.mktemp("tiny")


def make_model(root, encoder="mt5", llm="llama", bridge_type="mlp2", seed=0, **kwargs):
    """``(model, processor)``: a tiny bridged model (eval mode) and its processor."""
    enc_dir, llm_dir = build_tiny_components(root, encoder=encoder, llm=llm)
    torch.manual_seed(seed)
    processor = LinguaLiftProcessor.from_components(enc_dir, llm_dir)
    model = LinguaLiftForCausalLM.from_components(
        encoder=enc_dir, llm=llm_dir, processor=processor, bridge_type=bridge_type, **kwargs
    )
    return model.eval(), processor


def reference_logits(model, processor, instruction, text):
    """Logits of the LLM fed hand-concatenated embeddings: prefix | start | bridge(encoder(x)) | end |
    suffix."""
    head, middle, tail = processor._prompt_parts
    prefix = processor._llm_ids(f"{head}{instruction}{middle}", first=True)
    suffix = processor._llm_ids(tail, first=False)
    enc_ids = processor.encoder_tokenizer(text, return_tensors="pt")["input_ids"]
    embed = model.language_model.get_input_embeddings()
    with torch.no_grad():
        states = model.bridge(model.encoder(input_ids=enc_ids).last_hidden_state)[0]
        pieces = [
            embed(torch.tensor(prefix)),
            model.bridge.enc_start[None],
            states,
            model.bridge.enc_end[None],
            embed(torch.tensor(suffix, dtype=torch.long)),
        ]
        inputs_embeds = torch.cat(pieces)[None]
        return model.language_model(inputs_embeds=inputs_embeds).logits[0]


@pytest.mark.parametrize("bridge_type", ["linear", "mlp2", "mlp3"])
def test_shapes_and_reference_parity(tiny_root, bridge_type):
    model, processor = make_model(tiny_root, bridge_type=bridge_type)
    batch = processor(INSTRUCTIONS, INPUTS, RESPONSES)
    out = model(**batch)
    vocab = model.config.text_config.vocab_size
    assert out.logits.shape == (2, batch["input_ids"].shape[1], vocab)
    assert out.logits.dtype == torch.float32
    assert torch.isfinite(out.loss)
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.bridge.proj)
    assert n_linear == {"linear": 1, "mlp2": 2, "mlp3": 3}[bridge_type]
    # unpadded single example == manual concatenation fed to the bare LLM
    single = processor(INSTRUCTIONS[1], INPUTS[1])
    with torch.no_grad():
        logits = model(**single).logits[0]
    ref = reference_logits(model, processor, INSTRUCTIONS[1], INPUTS[1])
    assert logits.shape == ref.shape
    torch.testing.assert_close(logits, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("llm", LLM_FAMILIES)
def test_batched_generation_equals_unbatched(tiny_root, llm):
    model, processor = make_model(tiny_root, llm=llm)
    calls = []
    model.encoder.register_forward_hook(lambda *a: calls.append(1))
    batch = processor(INSTRUCTIONS, INPUTS)
    assert batch["attention_mask"][0, 0] == 0 or batch["attention_mask"][1, 0] == 0  # left padded
    gen = model.generate(**batch, max_new_tokens=8, do_sample=False, min_new_tokens=8)
    assert len(calls) == 1, "the encoder must run once, on the prefill step only"
    new = gen[:, batch["input_ids"].shape[1] :]
    for i in range(2):
        alone = processor(INSTRUCTIONS[i], INPUTS[i])
        gen_i = model.generate(**alone, max_new_tokens=8, do_sample=False, min_new_tokens=8)
        assert gen_i[0, alone["input_ids"].shape[1] :].tolist() == new[i].tolist()


def prefill(model, batch):
    """The KV cache a forward returns (``cache`` from transformers 5.24, ``past_key_values`` before)."""
    out = model(**batch, use_cache=True)
    return out.get("cache", out.get("past_key_values"))


def test_kv_cache_under_either_name(tiny_root):
    """forward takes the KV cache as ``cache`` (generate() from transformers 5.24) or ``past_key_values``
    (before), passes it to the LLM under the name the LLM takes, and counts it in the length check."""
    model, processor = make_model(tiny_root)
    batch = processor(INSTRUCTIONS[1], INPUTS[1])
    ids, mask = batch["input_ids"], batch["attention_mask"]
    prefix = {**batch, "input_ids": ids[:, :-1], "attention_mask": mask[:, :-1]}
    with torch.no_grad():
        full = model(**batch).logits[0, -1]
        for name in ("cache", "past_key_values"):
            cache = prefill(model, prefix)
            assert cache is not None and cache.get_seq_length() == ids.shape[1] - 1
            step = model(input_ids=ids[:, -1:], attention_mask=mask, use_cache=True, **{name: cache})
            torch.testing.assert_close(step.logits[0, -1], full, rtol=1e-5, atol=1e-5)
        with pytest.raises(InputDataError, match="as cache or as past_key_values, not both"):
            model(input_ids=ids[:, -1:], cache=cache, past_key_values=prefill(model, prefix))
        limit = model.config.text_config.max_position_embeddings  # the cache counts towards it
        with pytest.raises(InputDataError, match=f"sequence of {limit + 1} tokens is longer"):
            model(input_ids=torch.full((1, limit - cache.get_seq_length() + 1), 5), cache=cache)


@pytest.mark.parametrize("encoder", ["bert", "xlmr"])
def test_bert_style_encoders(tiny_root, encoder):
    model, processor = make_model(tiny_root, encoder=encoder)
    assert type(model.encoder).__name__ in ("BertModel", "XLMRobertaModel")
    assert getattr(model.encoder, "pooler", None) is None
    batch = processor(INSTRUCTIONS, INPUTS)
    gen = model.generate(**batch, max_new_tokens=4, do_sample=False, min_new_tokens=4)
    alone = processor(INSTRUCTIONS[0], INPUTS[0])
    gen0 = model.generate(**alone, max_new_tokens=4, do_sample=False, min_new_tokens=4)
    assert gen0[0, alone["input_ids"].shape[1] :].tolist() == gen[0, batch["input_ids"].shape[1] :].tolist()


def test_mt5_uses_encoder_only_class(tiny_root):
    model, _ = make_model(tiny_root)
    assert type(model.encoder).__name__ == "MT5EncoderModel"
    assert not any(name.startswith("encoder.decoder") for name, _ in model.named_parameters())


def test_processor_labels_padding_and_pad_equals_eos(tiny_root):
    model, processor = make_model(tiny_root, llm="gpt2")  # GPT-2: no pad token, pad reuses eos
    tok = processor.llm_tokenizer
    assert tok.pad_token_id == tok.eos_token_id
    batch = processor(INSTRUCTIONS, INPUTS, RESPONSES)
    assert batch["attention_mask"][:, 0].tolist() == [1, 1]  # right padded for training
    for i, response in enumerate(RESPONSES):
        labels = batch["labels"][i]
        kept = labels[labels != -100].tolist()
        assert kept == tok(response, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        # the response's real EOS keeps its label although pad == eos; padding positions are masked
        assert (labels[batch["attention_mask"][i] == 0] == -100).all()
    enc_counts = batch["encoder_attention_mask"].sum(1)
    placeholders = (batch["input_ids"] == model.config.enc_token_id).sum(1)
    assert enc_counts.tolist() == placeholders.tolist()


def test_chat_template_is_used_when_present(tiny_root):
    _, processor = make_model(tiny_root, llm="qwen2")
    text = processor.render_prompt("Do it.", "Le chat")
    assert text == "<|im_start|>user\nDo it.\nLe chat<|im_end|>\n<|im_start|>assistant\n"
    plain = LinguaLiftProcessor.for_plain_llm(build_tiny_components(tiny_root, llm="llama")[1])
    assert plain.render_prompt("Do it.", "Le chat").startswith("### Instruction:\nDo it.")
    batch = plain(["Do it."], ["Le chat"])
    assert "encoder_input_ids" not in batch
    assert (
        plain.llm_tokenizer.decode(batch["input_ids"][0], skip_special_tokens=True)
        .strip()
        .endswith("### Response:")
    )


def test_stage_policies_and_optimizer(tiny_root):
    model, processor = make_model(tiny_root)
    trainable = model.configure_stage("align")
    assert trainable and all(n.startswith("bridge.") for n in trainable)
    assert {"bridge.enc_start", "bridge.enc_end"} <= set(trainable)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-2)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    batch = processor(INSTRUCTIONS, INPUTS, RESPONSES)
    model.train()
    loss = model(**batch).loss
    loss.backward()
    # gradients reach the bridge through the frozen LLM; frozen weights get no grad at all
    assert model.bridge.proj[0].weight.grad.abs().sum() > 0
    assert model.bridge.enc_start.grad.abs().sum() > 0
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("bridge."))
    optimizer.step()
    state_params = {id(p) for p in optimizer.state}
    assert state_params == {id(p) for n, p in model.named_parameters() if n.startswith("bridge.")}
    for name, param in model.named_parameters():
        changed = not torch.equal(param, before[name])
        assert changed == name.startswith("bridge."), name
    assert not model.encoder.training  # frozen encoder never drops out

    trainable = model.configure_stage("task")
    assert trainable and all(n.startswith("language_model.") for n in trainable)
    assert len(trainable) == len(list(model.language_model.parameters()))
    ablation = model.configure_stage("task", train_bridge=True, train_llm=False)
    assert ablation and all(n.startswith("bridge.") for n in ablation)
    ablation = model.configure_stage("align", train_llm=True)
    assert any(n.startswith("language_model.") for n in ablation) and any(
        n.startswith("bridge.") for n in ablation
    )
    assert not any(n.startswith("encoder.") for n in ablation)
    with pytest.raises(ConfigError, match="unknown stage 'stage3'"):
        model.configure_stage("stage3")


def test_lora_stage_trains_only_adapter(tiny_root):
    model, _ = make_model(tiny_root)
    trainable = model.configure_stage(
        "task", lora={"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}
    )
    assert trainable and all("lora_" in n for n in trainable)
    assert model.has_lora
    with pytest.raises(ConfigError, match="unknown key"):
        LinguaLiftForCausalLM.configure_stage(make_model(tiny_root)[0], "task", lora={"rank": 4})


def _logits(model, batch):
    with torch.no_grad():
        return model(**batch).logits


def test_checkpoint_round_trips(tiny_root, tmp_path):
    model, processor = make_model(tiny_root, seed=3)
    batch = processor(INSTRUCTIONS, INPUTS, RESPONSES)
    expected = _logits(model, batch)

    model.save_bridge(tmp_path / "bridge", processor)
    files = {p.name for p in (tmp_path / "bridge").iterdir()}
    assert {"bridge.safetensors", "config.json", "llm_tokenizer", "encoder_tokenizer"} <= files
    assert not any(
        name.startswith("model") and name.endswith(".safetensors") for name in files
    )  # no LLM weights
    loaded = LinguaLiftForCausalLM.from_bridge(tmp_path / "bridge").eval()
    reloaded_processor = LinguaLiftProcessor.from_pretrained(tmp_path / "bridge")
    torch.testing.assert_close(
        _logits(loaded, reloaded_processor(INSTRUCTIONS, INPUTS, RESPONSES)), expected, rtol=0, atol=0
    )

    model.save_checkpoint(tmp_path / "full", processor)
    for loaded in (
        LinguaLiftForCausalLM.from_checkpoint(tmp_path / "full"),
        AutoModelForCausalLM.from_pretrained(tmp_path / "full"),
    ):
        assert isinstance(loaded, LinguaLiftForCausalLM)
        torch.testing.assert_close(_logits(loaded.eval(), batch), expected, rtol=0, atol=0)
    assert isinstance(AutoConfig.from_pretrained(tmp_path / "full"), LinguaLiftConfig)

    # LoRA: adapter saved separately, or merged on request; both reload to the same logits
    model.configure_stage("task", lora={"r": 4, "target_modules": ["q_proj", "v_proj"]})
    with torch.no_grad():
        for name, param in model.language_model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.5)
    tuned = _logits(model.eval(), batch)
    assert not torch.allclose(tuned, expected)
    model.save_checkpoint(tmp_path / "lora", processor)
    assert (tmp_path / "lora" / "llm_adapter" / "adapter_config.json").is_file()
    torch.testing.assert_close(
        _logits(LinguaLiftForCausalLM.from_checkpoint(tmp_path / "lora").eval(), batch),
        tuned,
        rtol=1e-5,
        atol=1e-5,
    )
    model.save_checkpoint(tmp_path / "merged", processor, merge_lora=True)
    assert not model.has_lora
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged").eval()
    torch.testing.assert_close(_logits(merged, batch), tuned, rtol=1e-4, atol=1e-4)


def test_tied_embeddings_survive_round_trip(tiny_root, tmp_path):
    model, processor = make_model(tiny_root, llm="qwen2")
    lm = model.language_model
    assert lm.lm_head.weight.data_ptr() == lm.get_input_embeddings().weight.data_ptr()
    model.save_checkpoint(tmp_path / "full", processor)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "full")
    lm = loaded.language_model
    assert lm.lm_head.weight.data_ptr() == lm.get_input_embeddings().weight.data_ptr()


def test_push_to_hub_uploads_checkpoint_files(tiny_root, monkeypatch):
    """Everything up to the network: the repo is created and one commit carries weights, config and
    tokenizers."""
    from huggingface_hub import HfApi, ModelCard

    model, processor = make_model(tiny_root)
    calls = {}

    def create_repo(self, repo_id, **kwargs):
        calls["repo"] = repo_id
        return type("RepoUrl", (), {"repo_id": repo_id})()

    def create_commit(self, repo_id, operations, commit_message=None, **kwargs):
        calls["files"] = sorted(op.path_in_repo for op in operations)
        card = next(op.path_or_fileobj for op in operations if op.path_in_repo == "README.md")
        calls["card"] = (
            Path(card).read_text(encoding="utf-8") if isinstance(card, (str, Path)) else card.decode()
        )
        calls["message"] = commit_message
        calls["card_metadata"] = ModelCard(calls["card"]).data.to_dict()  # the Hub's YAML check, locally
        return "commit-url"

    # huggingface_hub's public API, faked where it reaches the network
    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    assert model.push_to_hub("someone/tiny-lingualift", processor) == "commit-url"
    assert calls["repo"] == "someone/tiny-lingualift" and calls["message"] == "Upload LinguaLiftForCausalLM"
    assert calls["card_metadata"]["library_name"] == "lingualift"
    files = calls["files"]
    for expected in (
        "config.json",
        "model.safetensors",
        "lingualift_processor.json",
        "lingualift_checkpoint.json",
    ):
        assert expected in files
    assert any(f.startswith("llm_tokenizer/") for f in files) and any(
        f.startswith("encoder_tokenizer/") for f in files
    )
    assert (
        'from_checkpoint("someone/tiny-lingualift")' in calls["card"]
    )  # the card names the repo, not a temp dir


def test_bad_inputs_give_clear_errors(tiny_root, tmp_path):
    model, processor = make_model(tiny_root)
    batch = processor(INSTRUCTIONS, INPUTS)
    broken = dict(batch)
    broken["encoder_attention_mask"] = batch["encoder_attention_mask"].clone()
    broken["encoder_attention_mask"][0, 0] = 0
    broken["encoder_attention_mask"][0] = broken["encoder_attention_mask"][0].roll(-1)
    with pytest.raises(InputDataError, match="placeholder count does not match the encoder length"):
        model(**broken)
    with pytest.raises(InputDataError, match="no encoder_input_ids"):
        model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    with pytest.raises(ConfigError, match="unknown bridge type 'mlp9'"):
        make_model(tiny_root, bridge_type="mlp9")
    config = LinguaLiftConfig(
        encoder_config=model.config.encoder_config.to_dict(), text_config=model.config.text_config.to_dict()
    )
    config.encoder_config.hidden_size = 48
    with pytest.raises(
        ConfigError, match="hidden size mismatch: the encoder outputs 24-d states but the bridge expects 48-d"
    ):
        LinguaLiftForCausalLM(config, encoder=model.encoder, language_model=model.language_model)
    # an LLM tokenizer with neither pad nor eos
    tok = processor.llm_tokenizer.__class__.from_pretrained(build_tiny_components(tiny_root)[1])
    tok.eos_token = None
    tok.pad_token = None
    with pytest.raises(ConfigError, match="neither a pad nor an eos token"):
        LinguaLiftProcessor(tok, encoder_tokenizer=processor.encoder_tokenizer)
    # over-long input
    strict = LinguaLiftProcessor(
        processor.llm_tokenizer, processor.encoder_tokenizer, max_input_length=8, truncation=False
    )
    with pytest.raises(
        InputDataError, match="example 1: encoder input has .* tokens, over max_input_length=8"
    ):
        strict(INSTRUCTIONS, ["short", "a much longer input sentence than eight tokens"])
    truncating = LinguaLiftProcessor(processor.llm_tokenizer, processor.encoder_tokenizer, max_input_length=8)
    assert truncating(INSTRUCTIONS, INPUTS)["encoder_input_ids"].shape[1] == 8
    long_ids = torch.full((1, 1100), 5)
    with pytest.raises(InputDataError, match="longer than the LLM's max_position_embeddings=1024"):
        model(input_ids=long_ids)
    # a bridge loaded onto another base
    model.save_bridge(tmp_path / "bridge", processor)
    other_llm = build_tiny_components(tmp_path / "other", llm="llama", seed=1)[1]
    with pytest.raises(CheckpointError, match="different weights"):
        LinguaLiftForCausalLM.from_bridge(tmp_path / "bridge", llm=other_llm)
    with pytest.raises(
        CheckpointError, match=r"\(hidden_size=32\) but is being loaded onto .*\(hidden_size=48\)"
    ):
        LinguaLiftForCausalLM.from_bridge(tmp_path / "bridge", llm=_wider_llm(tmp_path))
    with pytest.raises(CheckpointError, match="not a lingualift checkpoint"):
        LinguaLiftForCausalLM.from_checkpoint(tmp_path)


def test_model_and_processor_are_separate_objects(tiny_root, tmp_path):
    """As in transformers, the model neither builds nor holds a processor: assembling needs one, saving
    needs one, and each is refused with the fix when missing (nothing written)."""
    model, _ = make_model(tiny_root)
    assert not hasattr(model, "processor") and not hasattr(model, "card_data")
    enc_dir, llm_dir = build_tiny_components(tiny_root)
    with pytest.raises(
        ConfigError, match=r"build it with LinguaLiftProcessor\.from_components\(encoder, llm\)"
    ):
        LinguaLiftForCausalLM.from_components(encoder=enc_dir, llm=llm_dir, processor=None)
    for save in (model.save_bridge, model.save_checkpoint):
        with pytest.raises(CheckpointError, match=r"no processor to save: pass processor=\.\.\."):
            save(tmp_path / "out", None)
        assert not (tmp_path / "out").exists()


def _wider_llm(tmp_path):
    return build_tiny_components(tmp_path / "wide", llm="llama", llm_hidden=48)[1]


def test_import_registers_auto_classes():
    assert AutoConfig.for_model("lingualift").__class__ is LinguaLiftConfig
    assert lingualift.LinguaLiftForCausalLM is LinguaLiftForCausalLM


def test_model_card_written_with_checkpoint(tiny_root, tmp_path):
    model, processor = make_model(tiny_root)
    card_data = {
        "languages": ["fr", "sw"],
        "stages": [{"name": "stage 1 (align)", "examples": 128, "epochs": 3, "final_loss": 2.5}],
        "evaluation": {"mgsm": {"fr": 0.25, "sw": 0.125}},
    }
    model.save_bridge(tmp_path / "b", processor, card_data=card_data)
    card = (tmp_path / "b" / "README.md").read_text()
    assert "- fr\n- sw" in card and "stage 1 (align)" in card and "final_loss: 2.5" in card
    assert "| 25.0 | 12.5 |" in card and "bridge" in card
    assert str(model.config.llm_name_or_path) in card
    assert load_card_data(tmp_path / "b") == card_data
    # the snippet loads from where the card lives; local bases are not named as Hub base_model ids
    assert f'from_checkpoint("{tmp_path / "b"}")' in card
    assert "base_model:\n- unknown\n" in card


def test_card_names_hub_bases_and_artefact_upstreams(tmp_path):
    import json

    from lingualift.artefacts import MARKER_FILE
    from lingualift.persistence.model_card import hub_base_model

    copy = tmp_path / "smollm2-copy"
    copy.mkdir()
    (copy / MARKER_FILE).write_text(json.dumps({"upstream": "HuggingFaceTB/SmolLM2-135M-Instruct"}))
    assert hub_base_model(str(copy)) == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert hub_base_model("google/mt5-xl") == "google/mt5-xl"
    assert hub_base_model(str(tmp_path)) is None and hub_base_model(None) is None
