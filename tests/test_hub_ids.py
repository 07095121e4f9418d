"""Every loader takes a Hub id: each checkpoint form, laid into a local Hub cache exactly as huggingface_hub
lays it out (blobs, snapshot symlinks, refs), loads offline by repo id with the logits of its directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from hub_cache import put_in_hub_cache
from transformers import AutoModelForCausalLM

from lingualift.cli import main
from lingualift.errors import CheckpointError, ConfigError
from lingualift.evaluation.backends import load_backend
from lingualift.modeling import LinguaLiftForCausalLM, LinguaLiftProcessor
from lingualift.modeling.stages import attach_lora, configure_plain_llm
from lingualift.modeling.tiny import build_tiny_model
from lingualift.persistence.checkpoints import (
    load_plain_llm,
    load_with_processor,
    resolve_checkpoint,
    save_plain_checkpoint,
)
from lingualift.training import load_config

LORA = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
LINGUALIFT_FORMS = ("bridge", "bridge+lora", "full")
PLAIN_FORMS = ("plain", "plain+lora")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """One directory per checkpoint form, written by the package's own save functions."""
    root = tmp_path_factory.mktemp("forms")
    torch.manual_seed(0)
    model, processor = build_tiny_model(root / "components")
    with torch.no_grad():  # a trained-looking bridge, so that bridge weights matter to the logits
        for param in model.bridge.parameters():
            param.add_(0.05 * torch.randn_like(param))
    out = {"bridge": root / "bridge", "full": root / "full"}
    model.save_bridge(out["bridge"], processor)
    model.save_checkpoint(out["full"], processor)
    plain_llm = model.language_model
    save_plain_checkpoint(plain_llm, root / "plain", processor)
    out["plain"] = root / "plain"
    lora_llm, _ = configure_plain_llm(AutoModelForCausalLM.from_pretrained(root / "plain"), LORA)
    _randomise_lora(lora_llm)
    save_plain_checkpoint(lora_llm, root / "plain+lora", processor)
    out["plain+lora"] = root / "plain+lora"
    attach_lora(model, LORA)
    _randomise_lora(model.language_model)
    model.save_checkpoint(root / "bridge+lora", processor)
    out["bridge+lora"] = root / "bridge+lora"
    return out


def _randomise_lora(model) -> None:
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(0.1 * torch.randn_like(param))


@pytest.fixture
def hub_cache(tmp_path, monkeypatch, checkpoints) -> Path:
    """A Hub cache holding every form as ``org/<form>``, used offline by huggingface_hub and transformers."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    for form, folder in checkpoints.items():
        put_in_hub_cache(cache, f"org/{form.replace('+', '-')}", folder)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def _repo(form: str) -> str:
    return f"org/{form.replace('+', '-')}"


def _logits(model, processor) -> torch.Tensor:
    batch = processor(["Answer:"], ["le chat est noir"], return_tensors="pt")
    with torch.no_grad():
        return model.eval()(**batch).logits


@pytest.mark.parametrize("form", LINGUALIFT_FORMS)
def test_lingualift_forms_load_by_repo_id_with_identical_logits(hub_cache, checkpoints, form):
    local_processor = LinguaLiftProcessor.from_pretrained(checkpoints[form])
    reference = _logits(LinguaLiftForCausalLM.from_checkpoint(checkpoints[form]), local_processor)
    resolved = resolve_checkpoint(_repo(form))
    assert resolved.form == form and resolved.directory.is_relative_to(hub_cache)
    hub_processor = LinguaLiftProcessor.from_pretrained(_repo(form))
    loaders = {
        "from_checkpoint": lambda: (LinguaLiftForCausalLM.from_checkpoint(_repo(form)), hub_processor),
        "AutoModelForCausalLM": lambda: (AutoModelForCausalLM.from_pretrained(_repo(form)), hub_processor),
        "load_backend": lambda: (lambda b: (b.model, b.processor))(load_backend(_repo(form))),
        "load_with_processor": lambda: load_with_processor(_repo(form)),
    }
    if form != "full":
        loaders["from_bridge"] = lambda: (LinguaLiftForCausalLM.from_bridge(_repo(form)), hub_processor)
    for name, load in loaders.items():
        model, processor = load()
        assert isinstance(model, LinguaLiftForCausalLM), name
        expected = reference
        if name == "from_bridge" and form == "bridge+lora":  # the bridge alone, without the adapter
            expected = _logits(LinguaLiftForCausalLM.from_bridge(checkpoints[form]), local_processor)
        torch.testing.assert_close(_logits(model, processor), expected, rtol=0, atol=0, msg=name)


@pytest.mark.parametrize("form", PLAIN_FORMS)
def test_plain_forms_load_by_repo_id_with_identical_logits(hub_cache, checkpoints, form):
    model, processor = load_plain_llm(checkpoints[form])
    reference = _logits(model, processor)
    assert resolve_checkpoint(_repo(form)).form == form
    backend = load_backend(_repo(form))
    torch.testing.assert_close(_logits(backend.model, backend.processor), reference, rtol=0, atol=0)


@pytest.mark.parametrize("form", LINGUALIFT_FORMS + PLAIN_FORMS)
def test_model_info_takes_a_repo_id(hub_cache, form, capsys):
    assert main(["model", "info", _repo(form)]) == 0
    assert json.loads(capsys.readouterr().out)["form"] == form


def test_training_config_takes_a_bridge_checkpoint_repo_id(hub_cache, tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"instruction": "Classify:", "input": "le chat", "output": "animal"}) + "\n")
    tree = {
        "stage": {"name": "task", "bridge_checkpoint": "org/bridge"},
        "data": {"train_file": str(data)},
        "training": {"output_dir": str(tmp_path / "out"), "global_batch_size": 1, "per_device_batch_size": 1},
    }
    assert load_config(tree=tree).stage.bridge_checkpoint == "org/bridge"
    tree["stage"]["bridge_checkpoint"] = "org/absent"
    with pytest.raises(ConfigError, match=r"stage.bridge_checkpoint: bridge checkpoint 'org/absent': not a"):
        load_config(tree=tree)


def test_revision_selects_the_snapshot_of_that_ref(hub_cache, checkpoints):
    put_in_hub_cache(hub_cache, "org/bridge", checkpoints["full"], revision="v2")
    assert resolve_checkpoint("org/bridge").form == "bridge"
    assert resolve_checkpoint("org/bridge", revision="v2").form == "full"
    with pytest.raises(CheckpointError, match="'org/bridge@v3': not a local directory, not in the local Hub"):
        resolve_checkpoint("org/bridge", revision="v3")


def test_a_repo_id_missing_offline_names_the_cache_and_the_fix(hub_cache, tmp_path):
    with pytest.raises(CheckpointError) as info:
        LinguaLiftForCausalLM.from_checkpoint("org/absent")
    message = str(info.value)
    assert "'org/absent'" in message and str(hub_cache) in message and "HF_HUB_OFFLINE=1" in message
    assert "hf download org/absent" in message
    missing = tmp_path / "nowhere" / "ckpt"
    with pytest.raises(CheckpointError, match=r"is not a directory on this machine .* check the path"):
        LinguaLiftForCausalLM.from_pretrained(str(missing))


def test_an_incomplete_snapshot_is_reported_not_guessed(hub_cache, checkpoints, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(checkpoints["plain"], partial)
    for weights in partial.glob("model*.safetensors"):
        weights.unlink()
    put_in_hub_cache(hub_cache, "org/partial", partial)
    with pytest.raises(CheckpointError, match="config.json but no weights"):
        load_backend("org/partial")
