"""Resume trusts files, not markers, and only the settings a run started with.

A checkpoint's completion marker records the names and sizes of its files; resume skips a checkpoint whose
files no longer match (deleted optimizer state, truncated weights) for the previous intact one, and refuses
when none is intact. A resumed run with changed training settings is refused before any model loads, and
``run_config.yaml`` keeps the values the weights were trained with.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
import yaml
from safetensors.torch import load_file

from lingualift.errors import CheckpointError, ConfigError
from lingualift.training import load_config, run_stage1
from lingualift.training.checkpointing import (
    COMPLETE_MARKER,
    RUN_CONFIG_NAME,
    RUN_RESULT_NAME,
    TRAINABLE_WEIGHTS,
    checkpoint_problems,
    last_complete_checkpoint,
    read_marker,
)

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "recipes" / "configs" / "stage1" / "tiny.yaml"
STEPS = ["training.max_steps=4", "training.save_steps=2", "training.save_total_limit=null"]


def _overrides(out: Path, *extra: str) -> list[str]:
    return [f"training.output_dir={out}", *STEPS, "training.resume=true", *extra]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """An uninterrupted 4-step run with checkpoints at steps 2 and 4."""
    out = tmp_path_factory.mktemp("resume") / "reference"
    run_stage1(load_config(TINY, _overrides(out)))
    return out


def _interrupted_copy(finished: Path, target: Path) -> Path:
    """``finished`` as a run killed after its last checkpoint: no final/ and no run result."""
    shutil.copytree(finished, target)
    shutil.rmtree(target / "final")
    (target / RUN_RESULT_NAME).unlink()
    return target


def _bridge(run: Path) -> dict:
    return load_file(str(run / "final" / "bridge.safetensors"))


def test_the_completion_marker_records_every_file_with_its_size(finished):
    checkpoint = finished / "checkpoint-4"
    manifest = read_marker(checkpoint)["files"]
    on_disk = {
        p.relative_to(checkpoint).as_posix(): p.stat().st_size
        for p in checkpoint.rglob("*")
        if p.is_file() and p.name != COMPLETE_MARKER
    }
    assert manifest == on_disk and "optimizer.pt" in manifest and TRAINABLE_WEIGHTS in manifest
    assert checkpoint_problems(checkpoint) == []


def test_a_missing_optimizer_falls_back_to_the_previous_intact_checkpoint(finished, tmp_path, caplog):
    run = _interrupted_copy(finished, tmp_path / "run")
    (run / "checkpoint-4" / "optimizer.pt").unlink()
    assert checkpoint_problems(run / "checkpoint-4") == ["optimizer.pt is missing"]
    assert last_complete_checkpoint(run).name == "checkpoint-4"  # the marker alone says complete
    with caplog.at_level(logging.WARNING):
        result = run_stage1(load_config(TINY, _overrides(run)))
    assert result.resumed_from.name == "checkpoint-2"
    assert "skipped damaged checkpoint-4 (optimizer.pt is missing)" in caplog.text
    want, got = _bridge(finished), _bridge(run)  # steps 3-4 retrained from checkpoint-2's full state
    worst = max(float((got[k] - want[k]).abs().max()) for k in want)
    assert worst <= 1e-6, f"resumed weights differ from the uninterrupted run by {worst}"


def test_every_checkpoint_damaged_is_an_error_naming_the_files(finished, tmp_path):
    run = _interrupted_copy(finished, tmp_path / "run")
    (run / "checkpoint-4" / "optimizer.pt").unlink()
    weights = run / "checkpoint-2" / TRAINABLE_WEIGHTS
    weights.write_bytes(weights.read_bytes()[:100])  # truncated
    before = sorted(p.relative_to(run).as_posix() for p in run.rglob("*"))
    with pytest.raises(CheckpointError) as info:
        run_stage1(load_config(TINY, _overrides(run)))
    message = str(info.value)
    assert "every complete checkpoint is damaged" in message
    assert "checkpoint-4 (optimizer.pt is missing)" in message
    assert f"checkpoint-2 ({TRAINABLE_WEIGHTS} has 100 bytes" in message
    assert "delete the damaged checkpoint-N directories" in message
    assert sorted(p.relative_to(run).as_posix() for p in run.rglob("*")) == before  # nothing removed


def test_resume_with_changed_hyper_parameters_is_refused(finished, tmp_path):
    run = _interrupted_copy(finished, tmp_path / "run")
    saved = (run / RUN_CONFIG_NAME).read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        run_stage1(
            load_config(TINY, _overrides(run, "training.learning_rate=0.3", "training.global_batch_size=4"))
        )
    message = str(info.value)
    assert "training.learning_rate: 0.003 -> 0.3" in message
    assert "training.global_batch_size: 8 -> 4" in message
    assert "training.overwrite_output_dir=true" in message
    assert (run / RUN_CONFIG_NAME).read_text(encoding="utf-8") == saved  # still the trained-with values
    assert yaml.safe_load(saved)["training"]["learning_rate"] == pytest.approx(3e-3)
    # bookkeeping settings may change; the run then resumes from its last checkpoint
    result = run_stage1(load_config(TINY, _overrides(run, "training.logging_steps=2")))
    assert result.resumed_from.name == "checkpoint-4"
    assert all((got == want).all() for got, want in zip(_bridge(run).values(), _bridge(finished).values()))
