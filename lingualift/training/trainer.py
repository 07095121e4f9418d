"""`LinguaLiftTrainer`: HF `Trainer` with atomic, trainable-only checkpoints and a reproducible length-grouped
order.

What it changes, and why:
* checkpoints are staged under ``<output_dir>/.partial`` and renamed into ``checkpoint-N`` only once every
  process has written its part and a completion marker exists, so a SIGKILL mid-save never leaves a checkpoint
  that resumes as complete (see :mod:`lingualift.training.checkpointing`);
* the model part of a checkpoint is the trainable parameters only (the bridge in stage 1: kilobytes to
  megabytes instead of the whole frozen LLM every N steps);
* the length-grouped sampler draws its order from ``seed + epoch`` instead of the global RNG, so a run resumed
  in any epoch sees exactly the data order of an uninterrupted one, on every process, and megabatches are
  built over the global batch so 1 and N processes see the same examples per optimizer step.
Everything else (loop, accumulation, schedulers, mixed precision, DDP/FSDP/DeepSpeed, logging) is the stock
Trainer.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import torch
from transformers import Trainer
from transformers.trainer_pt_utils import LengthGroupedSampler, get_length_grouped_indices
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from lingualift.training.checkpointing import (
    TRAINABLE_WEIGHTS,
    list_checkpoints,
    load_trainable_state,
    publish,
    save_trainable_state,
    staging_root,
)
from lingualift.training.data import LENGTH_COLUMN


class SeededLengthGroupedSampler(LengthGroupedSampler):
    """Length-grouped shuffling whose permutation depends only on ``seed`` and the epoch (set by the
    Trainer)."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        super().__init__(batch_size, lengths=lengths)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by the Trainer/accelerate at the start of each epoch."""
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        return iter(get_length_grouped_indices(self.lengths, self.batch_size, generator=generator))


class LinguaLiftTrainer(Trainer):
    """Trainer for both stages; ``global_batch_size`` sets the length-grouping megabatch (see module
    docstring)."""

    def __init__(self, *args, global_batch_size: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.global_batch_size = global_batch_size
        self._staging_checkpoint = False

    # -- data order ------------------------------------------------------------------------------------------
    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if self.args.train_sampling_strategy != "group_by_length" or LENGTH_COLUMN not in getattr(
            dataset, "column_names", ()
        ):
            return super()._get_train_sampler(train_dataset)
        group = self.global_batch_size or self.args.train_batch_size * self.args.gradient_accumulation_steps
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        return SeededLengthGroupedSampler(group, lengths=list(dataset[LENGTH_COLUMN]), seed=seed)

    # -- checkpoint writing ----------------------------------------------------------------------------------
    def _get_output_dir(self, trial) -> str:
        output_dir = super()._get_output_dir(trial)
        return str(staging_root(output_dir)) if self._staging_checkpoint else output_dir

    def _save_checkpoint(self, model, trial) -> None:
        """Write ``checkpoint-N`` into the staging dir with the stock code, then publish it in one rename."""
        run_dir = Path(self._get_output_dir(trial))
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staged = staging_root(run_dir) / name
        if self.args.should_save:
            shutil.rmtree(staged, ignore_errors=True)  # leftovers of an interrupted save of the same step
        self.accelerator.wait_for_everyone()
        self._staging_checkpoint = True
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging_checkpoint = False
        self.accelerator.wait_for_everyone()  # every rank has written its RNG/optimizer shards
        if self.args.should_save:
            publish(staged, run_dir / name, step=self.state.global_step)
            with contextlib.suppress(OSError):
                staged.parent.rmdir()  # only when empty
            self._rotate_complete_checkpoints(run_dir)
        self.accelerator.wait_for_everyone()

    def _rotate_complete_checkpoints(self, run_dir: Path) -> None:
        """Keep the newest ``save_total_limit`` complete checkpoints (never the one just written)."""
        limit = self.args.save_total_limit
        if not limit or limit <= 0:
            return
        complete = list_checkpoints(run_dir, complete_only=True)
        for old in complete[: max(0, len(complete) - limit)]:
            shutil.rmtree(old, ignore_errors=True)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """Model part of a checkpoint: the trainable parameters only (filtered from a gathered state dict if
        any)."""
        if not self.args.should_save:
            return
        model = self.accelerator.unwrap_model(self.model, keep_torch_compile=False)
        save_trainable_state(model, output_dir or self.args.output_dir, state_dict=state_dict)

    # -- checkpoint reading ----------------------------------------------------------------------------------
    def _load_from_checkpoint(self, resume_from_checkpoint: str, model=None) -> None:
        sharded = self.is_fsdp_enabled or self.is_deepspeed_enabled
        if not sharded and (Path(resume_from_checkpoint) / TRAINABLE_WEIGHTS).is_file():
            load_trainable_state(model if model is not None else self.model, resume_from_checkpoint)
        else:  # FSDP sharded / DeepSpeed engine checkpoints keep the stock path
            super()._load_from_checkpoint(resume_from_checkpoint, model)


__all__ = ["LinguaLiftTrainer", "SeededLengthGroupedSampler"]
