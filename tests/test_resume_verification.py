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


def test_a_run_saved_before_a_setting_existed_resumes_with_its_default(finished, tmp_path):
    """A run config written by an older lingualift lacks settings added since; the run had their defaults,
    so resuming it is no settings change — but a non-default value for such a setting is."""
    run = _interrupted_copy(finished, tmp_path / "run")
    tree = yaml.safe_load((run / RUN_CONFIG_NAME).read_text(encoding="utf-8"))
    del tree["training"]["eval_on_start"]
    (run / RUN_CONFIG_NAME).write_text(yaml.safe_dump(tree), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"training.eval_on_start: False -> True"):
        run_stage1(load_config(TINY, _overrides(run, "training.eval_on_start=true")))
    result = run_stage1(load_config(TINY, _overrides(run)))
    assert result.resumed_from.name == "checkpoint-4"


def test_a_constant_lr_run_given_more_steps_extends_to_the_longer_run(finished, tmp_path, caplog):
    """max_steps 2 → 4 with resume: the same weights as the uninterrupted 4-step run, final/ replaced."""
    run = tmp_path / "short"
    short = run_stage1(
        load_config(
            TINY,
            [
                f"training.output_dir={run}",
                "training.max_steps=2",
                "training.save_steps=2",
                "training.resume=true",
            ],
        )
    )
    assert short.global_step == 2
    before = _bridge(run)
    with caplog.at_level(logging.WARNING, logger="lingualift"):
        longer = run_stage1(load_config(TINY, _overrides(run)))
    assert longer.global_step == 4 and longer.resumed_from.name == "checkpoint-2"
    assert "extending" in caplog.text and "training.max_steps -> 4" in caplog.text
    after, want = _bridge(run), _bridge(finished)
    assert all((after[k] == want[k]).all() for k in want)  # exactly the 4-step run's bridge
    assert any((after[k] != before[k]).any() for k in before)
    assert yaml.safe_load((run / RUN_CONFIG_NAME).read_text(encoding="utf-8"))["training"]["max_steps"] == 4


@pytest.mark.parametrize("legacy_record", [False, True])
def test_an_interrupted_extension_resumes_instead_of_returning_the_shorter_run(
    finished, tmp_path, legacy_record
):
    """An extension (max_steps 2 -> 4) killed after checkpoint-4: run_config.yaml already says 4 while
    final/ and run_result.json are still the 2-step run's. Resuming must continue from checkpoint-4, not
    return the 2-step final/ as finished (told by the settings kept in run_result.json; for a record
    written before they were kept, by its step count)."""
    run = tmp_path / "short"
    run_stage1(
        load_config(
            TINY,
            [
                f"training.output_dir={run}",
                "training.max_steps=2",
                "training.save_steps=2",
                "training.resume=true",
            ],
        )
    )
    shutil.copytree(finished / "checkpoint-4", run / "checkpoint-4")  # the extension's first checkpoint
    config = yaml.safe_load((run / RUN_CONFIG_NAME).read_text(encoding="utf-8"))
    config["training"]["max_steps"] = 4  # what the extension wrote when it started
    (run / RUN_CONFIG_NAME).write_text(yaml.safe_dump(config), encoding="utf-8")
    if legacy_record:
        import json

        record = json.loads((run / RUN_RESULT_NAME).read_text(encoding="utf-8"))
        del record["config"]
        (run / RUN_RESULT_NAME).write_text(json.dumps(record), encoding="utf-8")
    result = run_stage1(load_config(TINY, _overrides(run)))
    assert not result.already_complete
    assert result.global_step == 4 and result.resumed_from.name == "checkpoint-4"
    after, want = _bridge(run), _bridge(finished)
    assert all((after[k] == want[k]).all() for k in want)
    again = run_stage1(load_config(TINY, _overrides(run)))  # now finished: returned as it is
    assert again.already_complete and again.global_step == 4


def test_a_scheduled_run_given_more_steps_is_refused(tmp_path, caplog):
    """With a cosine schedule the lr of every step depends on the total: more steps are another run (an
    interrupted one is refused, a finished one is returned as it is, with the change named)."""
    run = tmp_path / "cosine"
    cosine = [
        f"training.output_dir={run}",
        "training.lr_scheduler_type=cosine",
        "training.save_steps=2",
        "training.resume=true",
    ]
    run_stage1(load_config(TINY, [*cosine, "training.max_steps=2"]))
    with caplog.at_level(logging.WARNING, logger="lingualift"):
        again = run_stage1(load_config(TINY, [*cosine, "training.max_steps=4"]))
    assert again.already_complete and again.global_step == 2
    assert "changed since: training.max_steps" in caplog.text
    interrupted = _interrupted_copy(run, tmp_path / "interrupted")
    with pytest.raises(ConfigError, match="training.max_steps: 2 -> 4"):
        run_stage1(load_config(TINY, [*cosine, "training.max_steps=4", f"training.output_dir={interrupted}"]))
