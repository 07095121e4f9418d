"""Run-config schema, overrides and checkpoint bookkeeping: every bad config fails before any model is
loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import TrainerState

from lingualift.errors import CheckpointError, ConfigError
from lingualift.training import load_config, run_stage1, run_stage2
from lingualift.training.callbacks import JsonStepLogCallback, read_step_log
from lingualift.training.checkpointing import (
    COMPLETE_MARKER,
    last_complete_checkpoint,
    list_checkpoints,
    load_trainable_state,
    publish,
    save_trainable_state,
)
from lingualift.training.config import config_from_dict

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_file(tmp_path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"instruction": "Translate:", "input": "le chat", "output": "the cat"}) + "\n")
    return path


@pytest.fixture
def tree(tmp_path, data_file) -> dict:
    return {
        "stage": {"name": "align"},
        "model": {"encoder": "tiny:mt5", "llm": "tiny:llama"},
        "data": {"train_file": str(data_file)},
        "training": {"output_dir": str(tmp_path / "out"), "global_batch_size": 8, "per_device_batch_size": 4},
    }


@pytest.fixture
def no_model_loading(monkeypatch):
    """Make any attempt to build or load a model fail the test."""
    from lingualift.modeling import LinguaLiftForCausalLM
    from lingualift.training import run

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded before the config was validated")

    monkeypatch.setattr(run, "build_model", forbidden)
    monkeypatch.setattr(LinguaLiftForCausalLM, "from_components", forbidden)
    monkeypatch.setattr(LinguaLiftForCausalLM, "from_bridge", forbidden)


def _error(tree, overrides=(), **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(tree=tree, overrides=list(overrides), **kwargs)
    return str(info.value)


def test_valid_config_types_and_stage_defaults(tree):
    config = load_config(tree=tree, overrides=["training.learning_rate=6e-4", "training.max_steps=7"])
    assert config.training.learning_rate == pytest.approx(6e-4) and config.training.max_steps == 7
    assert config.stage.effective_train_bridge and not config.stage.effective_train_llm
    assert config.training.gradient_accumulation_steps(1) == 2
    assert config.training.gradient_accumulation_steps(2) == 1
    tree["training"]["learning_rate"] = "6e-4"  # YAML 1.1 reads 6e-4 without a dot as a string
    assert load_config(tree=tree).training.learning_rate == pytest.approx(6e-4)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["training.learning_rat=1e-3"], "training.learning_rat: unknown key"),
        (["optimizer.lr=1"], "optimizer: unknown key"),
        (["training.max_steps=ten"], "training.max_steps: expected int, got str 'ten'"),
        (["training.resume=maybe"], "training.resume: expected bool, got str 'maybe'"),
        (["training.bf16=maybe"], "training.bf16: expected bool | 'auto'"),
        (["stage.name=stage3"], "stage.name: expected one of 'align' | 'task'"),
        (["stage.lora.rank=8", "stage.train_llm=true"], "stage.lora.rank: unknown key"),
        (["stage.lora.r=8"], "stage.lora: a LoRA adapter is set but stage.train_llm is false"),
        (["training.report_to=[tensorbord]"], "training.report_to: unknown target 'tensorbord'"),
        (["training.global_batch_size=10"], "training.global_batch_size=10 is not a multiple"),
        (["training.warmup_ratio=1.5"], "training.warmup_ratio"),
        (["model.llm=tiny:falcon"], "model.llm: unknown tiny model"),
        (["model.encoder=artefact:nope"], "model.encoder: unknown artefact"),
        (["stage.train_bridge=false"], "nothing would train"),
        (["training.max_steps"], "expected KEY=VALUE"),
    ],
)
def test_bad_values_name_the_key(tree, overrides, expected):
    assert expected in _error(tree, overrides)


def test_missing_required_key_and_data_file(tree, tmp_path):
    del tree["training"]["output_dir"]
    assert "training.output_dir: required key is missing" in _error(tree)
    tree["training"]["output_dir"] = str(tmp_path / "out")
    tree["data"]["train_file"] = str(tmp_path / "nope.jsonl")
    assert f"data.train_file: data file not found: {tmp_path / 'nope.jsonl'}" in _error(tree)
    assert load_config(tree=tree, check_files=False).data.train_file.endswith("nope.jsonl")


def test_stage2_requires_a_complete_stage1_checkpoint(tree, tmp_path):
    tree["stage"] = {"name": "task"}
    assert "stage.bridge_checkpoint: stage 'task' starts from a stage-1 bridge checkpoint" in _error(tree)
    tree["stage"]["bridge_checkpoint"] = str(tmp_path / "missing")
    missing = repr(str(tmp_path / "missing"))
    expected = f"stage.bridge_checkpoint: bridge checkpoint not found: {missing} is not a directory"
    assert expected in _error(tree)
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_text("{}")
    tree["stage"]["bridge_checkpoint"] = str(partial)
    assert (
        "is not a complete bridge checkpoint (missing bridge.safetensors, lingualift_checkpoint.json)"
        in _error(tree)
    )
    # the no-stage-1 ablation (w/o language alignment) is explicit: the fresh bridge must train with the LLM
    tree["stage"] = {"name": "task", "require_bridge_checkpoint": False}
    assert "stage.train_bridge: stage 'task' has no stage.bridge_checkpoint" in _error(tree)
    tree["stage"]["train_bridge"] = True
    config = load_config(tree=tree)
    assert config.stage.effective_train_llm and config.stage.effective_train_bridge


def test_existing_checkpoints_need_resume_or_overwrite(tree, tmp_path):
    (tmp_path / "out" / "checkpoint-5").mkdir(parents=True)
    assert "training.output_dir" in _error(tree) and "training.resume=true" in _error(tree)
    assert load_config(tree=tree, overrides=["training.resume=true"]).training.resume


def test_runs_fail_before_loading_a_model(tree, tmp_path, monkeypatch, no_model_loading):
    config = load_config(tree=tree)
    with pytest.raises(ConfigError, match="stage.name: stage2 runs stage 'task'"):
        run_stage2(config)
    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.raises(ConfigError, match=r"training.global_batch_size=8 is not divisible .* world size 3"):
        run_stage1(config)
    monkeypatch.setenv("WORLD_SIZE", "1")
    Path(config.data.train_file).unlink()
    with pytest.raises(ConfigError, match="data.train_file: data file not found"):
        run_stage1(config)


def test_cli_reports_config_errors_without_loading(tmp_path, data_file, capsys, no_model_loading):
    from lingualift.cli import main

    config = tmp_path / "bad.yaml"
    config.write_text(
        f"stage: {{name: align}}\nmodel: {{encoder: tiny:mt5, llm: tiny:llama}}\n"
        f"data: {{train_file: {data_file}}}\ntraining: {{output_dir: {tmp_path / 'o'}, learning_rat: 0.1}}\n"
    )
    assert main(["train", "stage1", "--config", str(config)]) == 1
    assert "training.learning_rat: unknown key" in capsys.readouterr().err
    assert main(["train", "stage1", "--config", str(tmp_path / "none.yaml")]) == 1
    assert "config file not found" in capsys.readouterr().err
    from lingualift.training.cli import recipe_main

    assert recipe_main("stage2", ["--config", str(config), "training.learning_rat=0.1"]) == 1


def test_config_round_trips_through_yaml(tree, tmp_path):
    config = load_config(
        tree=tree,
        overrides=[
            "stage.name=task",
            "stage.require_bridge_checkpoint=false",
            "stage.train_bridge=true",
            "stage.lora.r=4",
            "stage.lora.target_modules=[q_proj, v_proj]",
        ],
    )
    config.save(tmp_path / "run.yaml")
    again = load_config(tmp_path / "run.yaml")
    assert again.to_dict() == config.to_dict()
    assert again.stage.lora.options() == {
        "r": 4,
        "alpha": 32,
        "dropout": 0.05,
        "target_modules": ["q_proj", "v_proj"],
    }
    assert config_from_dict(config.to_dict()).to_dict() == config.to_dict()


# ---- checkpoint bookkeeping (generic helpers, exercised on a plain torch module) ---------------------------


class _Two(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.frozen = torch.nn.Linear(3, 3)
        self.trained = torch.nn.Linear(3, 2)
        self.frozen.requires_grad_(False)


def test_only_complete_checkpoints_are_resumed_from(tmp_path):
    for step in (2, 4, 6):
        (tmp_path / f"checkpoint-{step}").mkdir()
    (tmp_path / "checkpoint-2" / COMPLETE_MARKER).write_text("{}")
    (tmp_path / "checkpoint-4" / COMPLETE_MARKER).write_text("{}")
    assert last_complete_checkpoint(tmp_path).name == "checkpoint-4"  # checkpoint-6 has no marker
    assert [c.name for c in list_checkpoints(tmp_path, complete_only=False)] == [
        "checkpoint-2",
        "checkpoint-4",
        "checkpoint-6",
    ]
    staged = tmp_path / ".partial" / "checkpoint-6"
    staged.mkdir(parents=True)
    (staged / "weights").write_text("w")
    publish(
        staged, tmp_path / "checkpoint-6", step=6
    )  # replaces the stale markerless directory in one rename
    assert last_complete_checkpoint(tmp_path).name == "checkpoint-6"
    assert (tmp_path / "checkpoint-6" / "weights").read_text() == "w" and not staged.exists()


def test_trainable_state_saves_only_trainable_and_checks_names(tmp_path):
    torch.manual_seed(0)
    model = _Two()
    assert save_trainable_state(model, tmp_path) == ["trained.weight", "trained.bias"]
    other = _Two()
    load_trainable_state(other, tmp_path)
    assert torch.equal(other.trained.weight, model.trained.weight)
    assert not torch.equal(
        other.frozen.weight, model.frozen.weight
    )  # frozen weights are not in the checkpoint
    other.frozen.requires_grad_(True)
    with pytest.raises(
        CheckpointError, match="missing from checkpoint: \\['frozen.bias', 'frozen.weight'\\]"
    ):
        load_trainable_state(other, tmp_path)


def test_step_log_is_cut_back_on_resume(tmp_path):
    path = tmp_path / "train_log.jsonl"
    callback = JsonStepLogCallback(path)
    state = TrainerState()
    for step in range(1, 7):
        state.global_step = step
        callback.on_log(None, state, None, logs={"loss": 1.0 / step})
    with open(path, "a") as handle:
        handle.write('{"step": 7, "lo')  # torn line of a killed run
    state.global_step = 4  # resumed from checkpoint-4
    callback.on_train_begin(None, state, None)
    assert [r["step"] for r in read_step_log(path)] == [1, 2, 3, 4]
