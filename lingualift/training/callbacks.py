"""Trainer callbacks: a JSON Lines log of the loss (and learning rate, grad norm) at every logging step.

Why a file of our own: TensorBoard/W&B are optional, but tests, benchmarks and plots need the loss curve of
every run in a plain format. On resume the log is cut back to the resumed step so it never holds a step twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from transformers import TrainerCallback

from lingualift.io_utils import atomic_write_jsonl

STEP_LOG_NAME = "train_log.jsonl"


class JsonStepLogCallback(TrainerCallback):
    """Append ``{"step", "epoch", "loss", "learning_rate", "grad_norm", ...}`` per log event to a JSONL
    file."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def on_train_begin(self, args, state, control, **kwargs):
        """Drop entries past the step training (re)starts from, so a resumed run's log has each step once."""
        if not state.is_world_process_zero or not self.path.is_file():
            return
        kept = [r for r in read_step_log(self.path) if r.get("step", 0) <= state.global_step]
        atomic_write_jsonl(self.path, kept)

    def on_log(self, args, state, control, logs=None, **kwargs):
        """Write one line per log event (main process only), flushed so a killed run keeps its curve."""
        if not state.is_world_process_zero or not logs:
            return
        record = {"step": state.global_step, "epoch": state.epoch}
        record.update({k: v for k, v in logs.items() if isinstance(v, (int, float, str)) or v is None})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def read_step_log(path: str | os.PathLike) -> list[dict]:
    """Records of a step log; a torn last line (run killed mid-write) is skipped."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def loss_curve(path: str | os.PathLike) -> list[tuple[int, float]]:
    """``(step, loss)`` pairs of the per-step training loss in a step log."""
    return [(r["step"], float(r["loss"])) for r in read_step_log(path) if "loss" in r]


__all__ = ["STEP_LOG_NAME", "JsonStepLogCallback", "loss_curve", "read_step_log"]
