"""Scale-out proven on a CPU: stage 1 and stage 2 launched as 2 processes (gloo) through ``accelerate launch``
with the shipped ``recipes/accelerate/ddp.yaml`` train what 1 process trains (the same global batches: 2
processes x 4 examples vs 1 process x 4 x 2 accumulation steps), and the run records how it was spread.

FSDP itself cannot run on a CPU with accelerate (README, "Scale-out"): its plugin needs an accelerator device
(``sync_module_states``) and ``AcceleratorState`` turns FSDP on only for GPU-like process groups, so
``recipes/accelerate/fsdp.yaml`` on a CPU runs as this same multi-CPU data parallelism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[1]
STEPS = ["training.max_steps=4", "training.save_steps=2", "training.per_device_batch_size=4"]


def _train(recipe: str, config: str, out: Path, processes: int, *overrides: str) -> dict:
    """Run a recipe with 1 process (plain python) or ``processes`` through accelerate; returns run_result."""
    args = [f"recipes/{recipe}", "--config", f"recipes/configs/{config}", f"training.output_dir={out}"]
    args += [*STEPS, *overrides]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "true", "PYTHONPATH": str(REPO)}
    if processes == 1:
        command = [sys.executable, *args]
    else:
        launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file"]
        launch += [
            "recipes/accelerate/ddp.yaml",
            "--num_processes",
            str(processes),
            "--mixed_precision",
            "no",
        ]
        command = [*launch, *args]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "run_result.json").read_text())


def _losses(out: Path) -> list[float]:
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    return [row["loss"] for row in rows if "loss" in row]


def _assert_same_tensors(first: Path, second: Path) -> None:
    a, b = load_file(str(first)), load_file(str(second))
    assert a.keys() == b.keys()
    for name in a:
        assert (a[name] - b[name]).abs().max().item() <= 1e-5, name


@pytest.mark.slow
def test_two_processes_train_what_one_trains(tmp_path):
    one = _train("stage1_align.py", "stage1/tiny.yaml", tmp_path / "s1-one", 1)
    two = _train("stage1_align.py", "stage1/tiny.yaml", tmp_path / "s1-two", 2)
    assert one["metrics"]["distributed"]["processes"] == 1
    assert two["metrics"]["distributed"] == {
        "type": "MULTI_CPU",
        "processes": 2,
        "fsdp": False,
        "deepspeed": False,
    }
    assert _losses(tmp_path / "s1-two") == pytest.approx(_losses(tmp_path / "s1-one"), abs=1e-4)
    _assert_same_tensors(
        tmp_path / "s1-one/final/bridge.safetensors", tmp_path / "s1-two/final/bridge.safetensors"
    )

    bridge = f"stage.bridge_checkpoint={tmp_path / 's1-one/final'}"
    _train("stage2_task.py", "stage2/tiny_lora.yaml", tmp_path / "s2-one", 1, bridge)
    result = _train("stage2_task.py", "stage2/tiny_lora.yaml", tmp_path / "s2-two", 2, bridge)
    assert result["metrics"]["distributed"]["processes"] == 2
    assert _losses(tmp_path / "s2-two") == pytest.approx(_losses(tmp_path / "s2-one"), abs=1e-4)
    adapter = "final/llm_adapter/adapter_model.safetensors"
    _assert_same_tensors(tmp_path / "s2-one" / adapter, tmp_path / "s2-two" / adapter)
