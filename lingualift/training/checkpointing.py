"""Atomic Trainer checkpoints: stage in a temp dir, mark complete, rename; resume only from complete ones.

Why: HF ``Trainer`` writes ``checkpoint-N`` in place, so a run killed mid-save leaves a directory that looks
like a checkpoint but is missing the optimizer or RNG state. Here every checkpoint is written under
``<output_dir>/.partial/``, gets a completion marker written last, and is renamed into place in one
``os.replace``; :func:`last_complete_checkpoint` only ever returns directories with the marker.

Intermediate checkpoints hold only the *trainable* parameters (``trainable_state.safetensors``): the bridge in
stage 1, the LLM or its LoRA adapter in stage 2 — never the frozen LLM or encoder every N steps.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from lingualift.errors import CheckpointError
from lingualift.io_utils import atomic_write_json, swap_in_directory

logger = logging.getLogger(__name__)
COMPLETE_MARKER = "lingualift_complete.json"
STAGING_DIR = ".partial"
FINAL_DIR = "final"  # the stage's saved model (bridge / full / plain checkpoint)
RUN_CONFIG_NAME = "run_config.yaml"
RUN_RESULT_NAME = "run_result.json"  # step, loss, metrics of a finished run (what resume returns)
# everything a run writes at the top of its output_dir (TensorBoard: runs/; tiny models: tiny_components/)
RUN_DIR_ENTRIES = frozenset(
    {RUN_CONFIG_NAME, RUN_RESULT_NAME, "train_log.jsonl", FINAL_DIR, STAGING_DIR, "runs", "tiny_components"}
)
TRAINABLE_WEIGHTS = "trainable_state.safetensors"
TRAINABLE_INDEX = "trainable_state.json"
_CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def fsync_tree(folder: str | os.PathLike) -> None:
    """Flush every file under ``folder`` and the directories themselves to disk (before the marker/rename)."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(root)


def _fsync_dir(folder: str | os.PathLike) -> None:
    """fsync a directory entry (makes a rename inside it durable); a no-op where the OS does not allow it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def is_complete(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a checkpoint whose save finished (its completion marker exists)."""
    return (Path(folder) / COMPLETE_MARKER).is_file()


def list_checkpoints(output_dir: str | os.PathLike, complete_only: bool = True) -> list[Path]:
    """``checkpoint-N`` directories of ``output_dir`` sorted by step; by default only complete ones."""
    folder = Path(output_dir)
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        match = _CHECKPOINT_RE.match(child.name)
        if match and child.is_dir() and (not complete_only or is_complete(child)):
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def is_run_directory(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a training output_dir lingualift made: it holds the run config, or only entries
    a run writes (``checkpoint-N``, ``final``, the step log, ...)."""
    folder = Path(folder)
    if (folder / RUN_CONFIG_NAME).is_file():
        return True
    return all(e.name in RUN_DIR_ENTRIES or _CHECKPOINT_RE.match(e.name) for e in folder.iterdir())


def last_complete_checkpoint(output_dir: str | os.PathLike, verify: bool = False) -> Path | None:
    """The newest complete ``checkpoint-N`` of ``output_dir`` (partial ones are ignored), or None.

    ``verify``: also check each candidate's files against the manifest its completion marker recorded
    (:func:`checkpoint_problems`); a damaged checkpoint is skipped with a warning for the previous intact one,
    and when every complete checkpoint is damaged a CheckpointError names what is wrong (never a silent start
    from scratch or a resume with a fresh optimizer).
    """
    complete = list_checkpoints(output_dir, complete_only=True)
    if not verify:
        return complete[-1] if complete else None
    damaged: list[str] = []
    for folder in reversed(complete):
        problems = checkpoint_problems(folder)
        if not problems:
            if damaged:
                logger.warning(
                    "training.resume: skipped damaged %s; resuming from %s", "; ".join(damaged), folder
                )
            return folder
        damaged.append(f"{folder.name} ({', '.join(problems)})")
    if damaged:
        raise CheckpointError(
            f"{output_dir}: every complete checkpoint is damaged: {'; '.join(damaged)}; restore the files,"
            " or delete the damaged checkpoint-N directories to resume from an earlier one (or from scratch)"
        )
    return None


def checkpoint_problems(folder: str | os.PathLike) -> list[str]:
    """What differs between ``folder`` and the file manifest (names and sizes) written into its completion
    marker when it was saved: missing files and changed sizes (e.g. a deleted ``optimizer.pt`` or a truncated
    ``*.safetensors``). Checkpoints saved before manifests existed have nothing to compare and pass."""
    folder = Path(folder)
    try:
        manifest = read_marker(folder).get("files")
    except (CheckpointError, OSError, ValueError) as exc:
        return [f"unreadable completion marker ({exc})"]
    if not isinstance(manifest, dict):
        return []
    problems = []
    for name, size in sorted(manifest.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != size:
            problems.append(f"{name} has {path.stat().st_size} bytes, {size} when saved")
    return problems


def file_manifest(folder: str | os.PathLike) -> dict[str, int]:
    """``{relative path: size in bytes}`` of every file under ``folder`` (the completion marker excluded)."""
    folder = Path(folder)
    return {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != COMPLETE_MARKER
    }


def clear_staging(output_dir: str | os.PathLike) -> None:
    """Remove leftovers of saves that were interrupted (everything under ``<output_dir>/.partial``)."""
    shutil.rmtree(Path(output_dir) / STAGING_DIR, ignore_errors=True)


def staging_root(output_dir: str | os.PathLike) -> Path:
    """Directory under which checkpoints are written before being renamed into place."""
    return Path(output_dir) / STAGING_DIR


def mark_complete(folder: str | os.PathLike, **info: object) -> None:
    """fsync ``folder`` and write its completion marker last (atomically), with the manifest of its files
    that resume verifies."""
    fsync_tree(folder)
    atomic_write_json(
        Path(folder) / COMPLETE_MARKER, {"completed_at": time.time(), **info, "files": file_manifest(folder)}
    )


def publish(staged: str | os.PathLike, final: str | os.PathLike, **info: object) -> Path:
    """Mark ``staged`` complete and swap it in as ``final`` (:func:`lingualift.io_utils.swap_in_directory`:
    one rename; an older ``final`` moved aside first and put back if the rename fails)."""
    staged, final = Path(staged), Path(final)
    mark_complete(staged, **info)
    swap_in_directory(staged, final)
    _fsync_dir(final.parent)
    return final


def trainable_parameter_names(model: torch.nn.Module) -> list[str]:
    """Names of the parameters that receive gradients (what an intermediate checkpoint stores)."""
    return [name for name, param in model.named_parameters() if param.requires_grad]


def save_trainable_state(
    model: torch.nn.Module, folder: str | os.PathLike, state_dict: dict[str, torch.Tensor] | None = None
) -> list[str]:
    """Save only the trainable parameters of ``model`` (safetensors + a JSON index); returns their names.

    ``state_dict`` (e.g. a gathered FSDP/DeepSpeed state dict) is filtered to the trainable names when given.
    """
    names = trainable_parameter_names(model)
    if not names:
        raise CheckpointError("no trainable parameters to save: the stage policy froze everything")
    source = state_dict if state_dict is not None else dict(model.named_parameters())
    missing = [name for name in names if name not in source]
    if missing:
        raise CheckpointError(f"trainable parameters absent from the state dict being saved: {missing[:5]}")
    tensors = {name: source[name].detach().to("cpu").contiguous() for name in names}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / TRAINABLE_WEIGHTS), metadata={"format": "pt"})
    atomic_write_json(
        folder / TRAINABLE_INDEX,
        {
            "parameters": {name: list(t.shape) for name, t in tensors.items()},
            "num_parameters": int(sum(t.numel() for t in tensors.values())),
        },
    )
    return names


def load_trainable_state(model: torch.nn.Module, folder: str | os.PathLike) -> list[str]:
    """Load a :func:`save_trainable_state` checkpoint into ``model``; the trainable names must match
    exactly."""
    path = Path(folder) / TRAINABLE_WEIGHTS
    if not path.is_file():
        raise CheckpointError(f"{folder}: no {TRAINABLE_WEIGHTS} (not a lingualift training checkpoint)")
    tensors = load_file(str(path), device="cpu")
    expected = set(trainable_parameter_names(model))
    got = set(tensors)
    if expected != got:
        raise CheckpointError(
            f"{path}: trainable parameters do not match this run's stage policy (missing from checkpoint:"
            f" {sorted(expected - got)[:5]}, unexpected: {sorted(got - expected)[:5]})"
        )
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in tensors.items():
            if params[name].shape != tensor.shape:
                raise CheckpointError(
                    f"{path}: {name} has shape {tuple(tensor.shape)}, "
                    f"the model expects {tuple(params[name].shape)}"
                )
            params[name].copy_(tensor)
    return sorted(got)


def read_marker(folder: str | os.PathLike) -> dict:
    """The completion marker's content (CheckpointError when the checkpoint is incomplete)."""
    path = Path(folder) / COMPLETE_MARKER
    if not path.is_file():
        raise CheckpointError(
            f"{folder}: incomplete checkpoint (no {COMPLETE_MARKER}); its save was interrupted"
        )
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = [
    "COMPLETE_MARKER",
    "checkpoint_problems",
    "clear_staging",
    "is_complete",
    "last_complete_checkpoint",
    "list_checkpoints",
    "load_trainable_state",
    "publish",
    "save_trainable_state",
    "staging_root",
]
