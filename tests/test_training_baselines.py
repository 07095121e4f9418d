"""The paper's baselines through the stage-2 recipe, on tiny random models (CPU).

Mono-SFT (``model.architecture: plain``): the LLM alone, trained on the stage-2 records with the task input
inlined in the prompt template the evaluator gives a plain LM; its checkpoint (PEFT adapter or full HF
directory) loads through the evaluator's loader. "w/o language alignment": no stage-1 checkpoint, the fresh
bridge trains with the LLM; the same run with the bridge frozen is refused before any weight is read.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from transformers import set_seed

from lingualift.errors import CheckpointError, ConfigError
from lingualift.io_utils import read_jsonl
from lingualift.persistence import load_card_data
from lingualift.training import load_config, run_stage2
from lingualift.training.callbacks import loss_curve

REPO = Path(__file__).resolve().parents[1]
STAGE2 = REPO / "recipes/configs/stage2"
MONO_SFT = STAGE2 / "tiny_mono_sft.yaml"
WO_ALIGNMENT = STAGE2 / "tiny_wo_alignment.yaml"
DATA = REPO / "recipes/data/tiny_stage2.jsonl"


def _fit_llm(llm_dir: Path, texts: list[str], out_dir: Path, steps: int = 30) -> Path:
    """Fit the tiny random LLM to ``texts`` (a stand-in for a pretrained LLM: a random one has near-uniform
    outputs that a LoRA adapter barely moves in a few steps)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(llm_dir)
    model = AutoModelForCausalLM.from_pretrained(llm_dir)
    ids = [tok(t)["input_ids"] + [tok.eos_token_id] for t in texts]
    width = max(map(len, ids))
    input_ids = torch.tensor([row + [tok.eos_token_id] * (width - len(row)) for row in ids])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(steps):
        model(
            input_ids=input_ids, attention_mask=mask, labels=input_ids.masked_fill(mask == 0, -100)
        ).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def components(tmp_path_factory) -> dict[str, Path]:
    """A tiny mT5 encoder and a tiny Llama fitted to the English questions of the stage-2 records."""
    from lingualift.modeling.tiny import build_tiny_components

    root = tmp_path_factory.mktemp("baselines")
    encoder, llm = build_tiny_components(root / "components", encoder="mt5", llm="llama")
    fitted = _fit_llm(llm, [r["input"] for r in read_jsonl(DATA)], root / "fitted-llama")
    return {"root": root, "encoder": encoder, "llm": fitted}


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _falls(curve: list[float], window: int = 3, margin: float = 0.2) -> None:
    head, tail = sum(curve[:window]) / window, sum(curve[-window:]) / window
    assert tail < head * (1 - margin), f"loss did not fall: first {window} mean {head:.4f}, last {tail:.4f}"


def _with_optimizer_state(result) -> list[str]:
    names = {id(p): n for n, p in result.trainer.model.named_parameters()}
    return sorted(names[id(p)] for p in result.trainer.optimizer.state)


def _logits(model: torch.nn.Module, processor, records: list[dict]) -> torch.Tensor:
    batch = processor([r["instruction"] for r in records], [r["input"] for r in records])  # left-padded
    with torch.no_grad():
        return model.eval()(**batch).logits


def _mono_sft(components, name: str, *extra: str):
    from lingualift.modeling.components import load_llm

    before = _state(load_llm(components["llm"]))
    config = load_config(
        MONO_SFT,
        [
            f"model.llm={components['llm']}",
            f"training.output_dir={components['root'] / name}",
            "training.save_steps=100",
            *extra,
        ],
    )
    return run_stage2(config), before


@pytest.fixture(scope="module")
def mono_sft_lora(components):
    lora = ["stage.lora.r=8", "stage.lora.alpha=16", "training.learning_rate=5e-3"]  # as tiny_lora.yaml
    return _mono_sft(components, "mono-lora", "training.max_steps=12", *lora)


@pytest.fixture(scope="module")
def mono_sft_full(components):
    return _mono_sft(components, "mono-full", "training.max_steps=6")


def test_mono_sft_lora_trains_the_adapter_only(mono_sft_lora):
    from peft import PeftModel

    result, base_before = mono_sft_lora
    model = result.trainer.model
    assert isinstance(model, PeftModel) and not hasattr(model.get_base_model(), "bridge")
    _falls([loss for _, loss in loss_curve(result.output_dir / "train_log.jsonl")])
    lora_names = [n for n, _ in model.named_parameters() if "lora_" in n]
    assert len(lora_names) == 2 * 7 * 2  # A and B of 7 linear layers in each of the 2 blocks
    assert result.trainable_parameters == lora_names
    assert _with_optimizer_state(result) == sorted(lora_names)
    state = _state(model)
    base = {
        k.replace("base_model.model.", "").replace(".base_layer", ""): v
        for k, v in state.items()
        if "lora_" not in k
    }
    assert set(base) == set(base_before)
    assert all(torch.equal(base[k], base_before[k]) for k in base_before), "the base LLM changed under LoRA"
    assert all(v.abs().sum() > 0 for k, v in state.items() if "lora_B" in k)  # zero at init, trained


def test_mono_sft_adapter_loads_as_a_plain_lm_with_equal_logits(mono_sft_lora, components):
    from peft import PeftModel

    from lingualift.evaluation.backends import load_backend

    result, _ = mono_sft_lora
    final = result.final_dir
    files = {p.name for p in final.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "README.md"} <= files
    assert "config.json" not in files and "lingualift_checkpoint.json" not in files  # not a bridged form
    adapter = json.loads((final / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str(components["llm"]) and adapter["r"] == 8
    backend = load_backend(str(final))
    assert isinstance(backend.model, PeftModel) and backend.processor.is_plain
    records = read_jsonl(DATA)[:3]
    trained = _logits(result.trainer.model, backend.processor, records)
    assert torch.equal(_logits(backend.model, backend.processor, records), trained)
    card = (final / "README.md").read_text(encoding="utf-8")
    assert (
        "Mono-SFT (plain LLM on the task data)** — train_file: tiny_stage2.jsonl, trains: LoRA adapter"
        in card
    )
    assert "steps: 12" in card and "| checkpoint form | plain+lora" in card and "library_name: peft" in card


def test_adapter_base_resolves_to_the_artefact_cache_when_moved(mono_sft_lora, components, monkeypatch):
    """An adapter trained on an artefact copy (``artefact:smollm2``) names that directory; on a machine where
    it lives elsewhere, the loader uses this machine's artefact cache; any other missing base is a clear
    error."""
    from lingualift import artefacts
    from lingualift.evaluation.backends import load_backend
    from lingualift.persistence.checkpoints import resolve_adapter_base

    result, _ = mono_sft_lora
    moved = components["root"] / "moved-adapter"
    shutil.copytree(result.final_dir, moved)
    config_path = moved / "adapter_config.json"
    adapter = json.loads(config_path.read_text())
    adapter["base_model_name_or_path"] = f"/elsewhere/cache/{artefacts.SMOLLM2.name}"
    config_path.write_text(json.dumps(adapter))
    calls = []
    monkeypatch.setattr(artefacts, "import_artefact", lambda key: calls.append(key) or components["llm"])
    assert resolve_adapter_base(moved) == str(components["llm"]) and calls == ["smollm2"]
    records = read_jsonl(DATA)[:2]
    backend = load_backend(str(moved))
    expected = _logits(result.trainer.model, backend.processor, records)
    assert torch.equal(_logits(backend.model, backend.processor, records), expected)

    adapter["base_model_name_or_path"] = "/elsewhere/some-llm"
    config_path.write_text(json.dumps(adapter))
    with pytest.raises(CheckpointError) as info:
        load_backend(str(moved))
    message = str(info.value)
    assert str(config_path) in message and "base_model_name_or_path='/elsewhere/some-llm'" in message
    assert "set it to the directory or Hub id of the LLM the adapter was trained on" in message


def test_mono_sft_full_finetune_saves_a_plain_hf_checkpoint(mono_sft_full):
    from transformers import AutoModelForCausalLM

    from lingualift.evaluation.backends import load_backend

    result, base_before = mono_sft_full
    model = result.trainer.model
    assert type(model).__name__ == "LlamaForCausalLM"
    assert result.trainable_parameters == [n for n, _ in model.named_parameters()]
    assert _with_optimizer_state(result) == sorted(n for n, _ in model.named_parameters())
    after = _state(model)
    assert all(not torch.equal(after[k], base_before[k]) for k in base_before if k.endswith("proj.weight"))
    final = result.final_dir
    assert (final / "config.json").is_file() and not (final / "lingualift_checkpoint.json").exists()
    reloaded = AutoModelForCausalLM.from_pretrained(final)  # a standard HF directory
    assert all(torch.equal(v, after[k]) for k, v in _state(reloaded).items())
    backend = load_backend(str(final))
    assert type(backend.model).__name__ == "LlamaForCausalLM" and backend.processor.is_plain
    records = read_jsonl(DATA)[:3]
    assert torch.equal(
        _logits(backend.model, backend.processor, records),
        _logits(model, backend.processor, records),
    )
    card = (final / "README.md").read_text(encoding="utf-8")
    assert "trains: LLM, steps: 6" in card and "| checkpoint form | plain (" in card


def test_mono_sft_trains_on_exactly_the_evaluation_prompt(mono_sft_lora, components):
    """One template: a training example is the evaluator's plain-LM prompt + response + EOS, with loss on the
    response only; the prompt is the bridged template (instruction, then input, then response) with the input
    written in as text."""
    from lingualift.evaluation.backends import load_backend
    from lingualift.modeling import LinguaLiftProcessor

    result, _ = mono_sft_lora
    collator = result.trainer.data_collator
    evaluation = load_backend(str(result.final_dir)).processor
    bridged = LinguaLiftProcessor.from_components(components["encoder"], components["llm"])
    tok = evaluation.llm_tokenizer
    for record in read_jsonl(DATA)[:4]:
        batch = collator([record])
        ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
        prompt = evaluation([record["instruction"]], [record["input"]])["input_ids"][0].tolist()
        response = tok(record["output"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        assert ids == prompt + response
        assert labels == [-100] * len(prompt) + response
        assert prompt[0] == tok.bos_token_id
        text = bridged.render_prompt(record["instruction"], record["input"])
        assert tok.decode(prompt[1:]) == text
        assert (
            text == f"### Instruction:\n{record['instruction']}\n\n### Input:\n{record['input']}\n\n"
            "### Response:\n"
        )


def test_plain_training_processor_uses_the_chat_template_like_the_evaluator(components, tmp_path):
    """With a chat template (tiny Qwen2, ChatML) the training processor of a plain run and the evaluator's
    plain-LM processor build the same ids, and the text is the bridged model's prompt with the input
    inlined."""
    from lingualift.evaluation.backends import load_backend
    from lingualift.modeling import LinguaLiftProcessor
    from lingualift.modeling.tiny import build_tiny_components
    from lingualift.training.run import build_model

    encoder, llm = build_tiny_components(tmp_path / "qwen", encoder="mt5", llm="qwen2")
    config = load_config(MONO_SFT, [f"model.llm={llm}", f"training.output_dir={tmp_path / 'out'}"])
    _, training = build_model(config)
    evaluation = load_backend(str(llm)).processor
    record = read_jsonl(DATA)[0]
    args = ([record["instruction"]], [record["input"]])
    prompt = evaluation(*args)["input_ids"][0].tolist()
    trained = training(*args, responses=[record["output"]])["input_ids"][0].tolist()
    tok = evaluation.llm_tokenizer
    assert trained == prompt + tok(record["output"], add_special_tokens=False)["input_ids"] + [
        tok.eos_token_id
    ]
    text = LinguaLiftProcessor.from_components(encoder, llm).render_prompt(
        record["instruction"], record["input"]
    )
    assert text.startswith("<|im_start|>user\n") and text.endswith("<|im_end|>\n<|im_start|>assistant\n")
    assert tok.decode(prompt) == text


@pytest.fixture(scope="module")
def wo_alignment(components):
    from lingualift.modeling.components import load_encoder, load_llm
    from lingualift.training.run import build_model

    config = load_config(
        WO_ALIGNMENT,
        [
            f"model.encoder={components['encoder']}",
            f"model.llm={components['llm']}",
            f"training.output_dir={components['root'] / 'wo-alignment'}",
            "training.max_steps=8",
            "training.save_steps=100",
        ],
    )
    set_seed(config.training.seed)  # what run_stage does before building: the fresh bridge is reproducible
    fresh_bridge = _state(build_model(config)[0].bridge)
    before = {
        "encoder": _state(load_encoder(components["encoder"])),
        "llm": _state(load_llm(components["llm"])),
    }
    return run_stage2(config), fresh_bridge, before


def test_wo_alignment_trains_the_fresh_bridge_and_the_llm(wo_alignment):
    result, fresh_bridge, before = wo_alignment
    model = result.trainer.model
    _falls([loss for _, loss in loss_curve(result.output_dir / "train_log.jsonl")], margin=0.1)
    bridge = _state(model.bridge)
    assert {"enc_start", "enc_end"} <= set(bridge)
    assert all(not torch.equal(bridge[k], fresh_bridge[k]) for k in fresh_bridge), "a bridge tensor stayed"
    llm = _state(model.language_model)
    assert all(not torch.equal(llm[k], before["llm"][k]) for k in before["llm"] if k.endswith("proj.weight"))
    encoder = _state(model.encoder)
    assert all(torch.equal(encoder[k], before["encoder"][k]) for k in before["encoder"]), (
        "the encoder changed"
    )
    trained = sorted(n for n, _ in model.named_parameters() if n.startswith(("bridge.", "language_model.")))
    assert sorted(result.trainable_parameters) == trained == _with_optimizer_state(result)


def test_wo_alignment_checkpoint_holds_the_trained_bridge(wo_alignment):
    from lingualift.modeling import LinguaLiftForCausalLM

    result, _, _ = wo_alignment
    reloaded = LinguaLiftForCausalLM.from_checkpoint(result.final_dir)
    trained = _state(result.trainer.model.bridge)
    assert all(torch.equal(v, trained[k]) for k, v in _state(reloaded.bridge).items())
    (stage,) = load_card_data(result.final_dir)["stages"]
    assert stage["name"] == "stage 2 (task transfer, w/o language alignment: fresh bridge)"
    assert stage["trains"] == "bridge, LLM" and stage["steps"] == 8


def test_bridged_checkpoint_bases_resolve_to_the_artefact_cache_when_moved(components, monkeypatch):
    """A bridge checkpoint made on artefact copies names their directories (e.g. a committed experiment
    checkpoint made on another machine); where they are absent, the loader uses this machine's artefact cache
    and still checks the bases' fingerprints, so the reloaded model equals the saved one."""
    from lingualift import artefacts
    from lingualift.modeling import LinguaLiftForCausalLM, LinguaLiftProcessor

    processor = LinguaLiftProcessor.from_components(components["encoder"], components["llm"])
    model = LinguaLiftForCausalLM.from_components(components["encoder"], components["llm"], processor)
    moved = components["root"] / "moved-bridge"
    model.save_bridge(moved, processor)
    config_path = moved / "config.json"
    config = json.loads(config_path.read_text())
    config["encoder_name_or_path"] = f"/elsewhere/cache/{artefacts.MULTILINGUAL_E5.name}"
    config["llm_name_or_path"] = f"/elsewhere/cache/{artefacts.SMOLLM2.name}"
    config_path.write_text(json.dumps(config))
    by_key = {"multilingual-e5": components["encoder"], "smollm2": components["llm"]}
    calls = []
    monkeypatch.setattr(artefacts, "import_artefact", lambda key: calls.append(key) or by_key[key])
    reloaded = LinguaLiftForCausalLM.from_checkpoint(moved)
    assert sorted(calls) == ["multilingual-e5", "smollm2"]
    saved = model.state_dict()
    assert saved.keys() == reloaded.state_dict().keys()
    assert all(torch.equal(v, saved[k]) for k, v in reloaded.state_dict().items())

    by_key["smollm2"] = components["root"] / "components" / "tiny-llama-32-llm"  # the unfitted LLM
    with pytest.raises(CheckpointError, match="has different weights"):
        LinguaLiftForCausalLM.from_checkpoint(moved)


@pytest.fixture
def no_model_loading(monkeypatch):
    """Make any attempt to build or load a model fail the test."""
    from lingualift.modeling import LinguaLiftForCausalLM, components
    from lingualift.training import run

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded before the config was validated")

    monkeypatch.setattr(run, "build_model", forbidden)
    monkeypatch.setattr(run, "resolve_sources", forbidden)
    monkeypatch.setattr(components, "load_llm", forbidden)
    monkeypatch.setattr(LinguaLiftForCausalLM, "from_components", forbidden)


@pytest.mark.parametrize(
    ("config", "overrides", "expected"),
    [
        (
            WO_ALIGNMENT,
            ["stage.train_bridge=false"],
            "stage.train_bridge: stage 'task' has no stage.bridge_checkpoint, so its bridge is freshly"
            " initialised, and it is frozen: the LLM would learn from random projections of the encoder. Set"
            " stage.train_bridge=true",
        ),
        (
            WO_ALIGNMENT,
            ["stage.train_bridge=null", "stage.require_bridge_checkpoint=null"],
            "stage.bridge_checkpoint: stage 'task' starts from a stage-1 bridge checkpoint but none is set",
        ),
        (
            MONO_SFT,
            ["model.encoder=tiny:mt5"],
            "model.encoder: 'tiny:mt5' is set, but model.architecture=plain",
        ),
        (
            MONO_SFT,
            ["stage.train_bridge=true"],
            "stage.train_bridge: true is set, but model.architecture=plain",
        ),
        (MONO_SFT, ["stage.bridge_checkpoint=runs/x"], "stage.bridge_checkpoint: 'runs/x' is set, but"),
        (MONO_SFT, ["stage.train_llm=false"], "stage.train_llm: false, but the LLM is all"),
        (
            MONO_SFT,
            ["stage.name=align"],
            "stage.name: model.architecture=plain (the LLM alone, no encoder or",
        ),
        (MONO_SFT, ["model.llm=null"], "model.llm: required for model.architecture=plain"),
        (MONO_SFT, ["model.encoder_cache_mb=8"], "model.encoder_cache_mb: 8.0 but model.architecture=plain"),
        (MONO_SFT, ["model.architecture=mono"], "model.architecture: expected one of 'bridged' | 'plain'"),
    ],
)
def test_invalid_baseline_configs_are_refused_before_any_model_loads(
    config, overrides, expected, tmp_path, monkeypatch, capsys, no_model_loading
):
    from lingualift.training.cli import recipe_main

    monkeypatch.chdir(REPO)
    args = ["--config", str(config), f"training.output_dir={tmp_path}", *overrides]
    assert recipe_main("stage2", args) == 1
    assert expected in capsys.readouterr().err


def test_a_config_changed_after_loading_is_checked_again(tmp_path, monkeypatch, no_model_loading):
    monkeypatch.chdir(REPO)
    config = load_config(WO_ALIGNMENT, [f"training.output_dir={tmp_path}"])
    config.stage.train_bridge = False
    with pytest.raises(ConfigError, match="stage.train_bridge: stage 'task' has no stage.bridge_checkpoint"):
        run_stage2(config)


def test_baseline_recipes_match_their_bridged_budget(monkeypatch):
    """Same data, schedule, batch, lengths and adapter as the bridged stage-2 config each is compared
    with."""
    monkeypatch.chdir(REPO)

    def budget(name: str) -> dict:
        tree = load_config(STAGE2 / name, check_files=False).to_dict()
        tree["training"].pop("output_dir")
        return {
            "data": tree["data"],
            "training": tree["training"],
            "lora": tree["stage"]["lora"],
            "max_length": tree["model"]["max_length"],
            "dtype": tree["model"]["dtype"],
        }

    for bridged, baselines in (
        ("smollm2_e5_lora_cpu.yaml", ("smollm2_mono_sft_cpu.yaml", "smollm2_wo_alignment_cpu.yaml")),
        ("tiny.yaml", ("tiny_mono_sft.yaml", "tiny_wo_alignment.yaml")),
    ):
        for baseline in baselines:
            assert budget(baseline) == budget(bridged), f"{baseline} vs {bridged}"
    mono = load_config(STAGE2 / "smollm2_mono_sft_cpu.yaml", check_files=False)
    assert (mono.model.architecture, mono.model.llm, mono.model.encoder) == (
        "plain",
        "artefact:smollm2",
        None,
    )
    assert mono.stage.lora is not None and mono.stage.lora.r == 16
    wo = load_config(STAGE2 / "smollm2_wo_alignment_cpu.yaml", check_files=False)
    assert wo.stage.bridge_checkpoint is None and wo.stage.effective_train_bridge and wo.stage.lora.r == 16
