"""Evaluation backends: one interface for the bridged model and a plain causal LM, so prompts are
identical.

A backend turns ``(instruction, input)`` pairs into greedy responses (batched, left-padded) and scores
candidate responses by log-likelihood. ``TransformersBackend`` wraps any (model, processor) pair: a
``LinguaLiftForCausalLM`` with its processor, or an ``AutoModelForCausalLM`` with
``LinguaLiftProcessor.for_plain_llm`` (the Mono-SFT baseline). Tests plug in scripted backends with no model.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from lingualift.errors import CheckpointError


class EvaluationBackend(ABC):
    """What the runner needs from a model: greedy generation and option log-likelihoods."""

    name: str = "backend"

    @abstractmethod
    def generate(self, instructions: Sequence[str], inputs: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy responses, one per (instruction, input) pair."""

    @abstractmethod
    def score_options(
        self, instructions: Sequence[str], inputs: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """Sum of token log-probabilities of each option given its prompt (end-of-sequence not counted)."""

    def score_responses(
        self, instructions: Sequence[str], inputs: Sequence[str], responses: Sequence[str]
    ) -> list[tuple[float, int]]:
        """``(sum of token log-probabilities, token count)`` of each response given its prompt."""
        raise NotImplementedError(f"{type(self).__name__} does not score free-form responses")

    def describe(self) -> dict[str, Any]:
        """What identifies this backend's outputs (checked before resuming a run)."""
        return {"name": self.name}


class TransformersBackend(EvaluationBackend):
    """A transformers causal LM (bridged or plain) and its ``LinguaLiftProcessor``."""

    def __init__(
        self, model: Any, processor: Any, name: str | None = None, device: str | torch.device | None = None
    ):
        self.model = model
        self.processor = processor
        self.name = name or str(getattr(model, "name_or_path", "") or type(model).__name__)
        if device is not None:
            self.model.to(device)
        self.model.eval()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "class": type(self.model).__name__, "plain": bool(self.processor.is_plain)}

    def _to_device(self, batch: Any) -> dict[str, torch.Tensor]:
        return {k: v.to(self.device) for k, v in batch.items()}

    @torch.inference_mode()
    def generate(self, instructions: Sequence[str], inputs: Sequence[str], max_new_tokens: int) -> list[str]:
        batch = self._to_device(self.processor(list(instructions), list(inputs), padding_side="left"))
        tok = self.processor.llm_tokenizer
        output = self.model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
        )
        return self.processor.batch_decode(output[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)

    @torch.inference_mode()
    def score_responses(
        self, instructions: Sequence[str], inputs: Sequence[str], responses: Sequence[str]
    ) -> list[tuple[float, int]]:
        """``(sum of token log-probabilities, token count)`` of each response given its prompt (EOS not
        counted).

        Rows are left-padded so every response ends at the last position: the vocabulary projection then runs
        on the response positions only (``logits_to_keep``), not on the whole prompt — the bulk of the cost
        for a large vocabulary. Position ids follow the attention mask, so padding does not shift positions.
        """
        batch = self._to_device(
            self.processor(list(instructions), list(inputs), responses=list(responses), padding_side="left")
        )
        labels = batch.pop("labels")
        # drop the closing EOS the processor appends to each response: score the response text itself
        lengths = (labels != -100).sum(dim=1)
        last = torch.arange(labels.shape[1], device=labels.device)[None, :] == (
            (labels != -100).long().cumsum(dim=1).argmax(dim=1, keepdim=True)
        )
        labels = labels.masked_fill(last & (lengths[:, None] > 1), -100)
        keep = int(lengths.max()) + 1
        position_ids = (batch["attention_mask"].long().cumsum(dim=1) - 1).clamp(min=0)
        logits = self.model(**batch, position_ids=position_ids, logits_to_keep=keep).logits[:, :-1]
        targets = labels[:, labels.shape[1] - keep + 1 :]
        mask = targets != -100
        picked = logits[mask].float().log_softmax(dim=-1).gather(-1, targets[mask][:, None]).squeeze(-1)
        row_of_token = torch.nonzero(mask, as_tuple=True)[0]
        sums = torch.zeros(labels.shape[0], device=logits.device).index_add_(0, row_of_token, picked)
        return list(zip(sums.tolist(), mask.sum(dim=1).tolist()))

    def score_options(
        self, instructions: Sequence[str], inputs: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        flat_instr, flat_inputs, flat_opts = [], [], []
        for instruction, text, opts in zip(instructions, inputs, options):
            flat_instr += [instruction] * len(opts)
            flat_inputs += [text] * len(opts)
            flat_opts += list(opts)
        flat = [total for total, _ in self.score_responses(flat_instr, flat_inputs, flat_opts)]
        scores, start = [], 0
        for opts in options:
            scores.append(flat[start : start + len(opts)])
            start += len(opts)
        return scores


def _is_local_path(source: str) -> bool:
    """A path (absolute, relative with ./ or ~, existing, or nested) rather than a Hub id like
    ``org/name``."""
    return (
        os.path.isabs(source)
        or source.startswith((".", "~"))
        or os.path.exists(source)
        or source.count("/") >= 2
    )


def load_backend(
    model_or_dir: Any,
    processor: Any = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> EvaluationBackend:
    """A backend from a backend, a ``(model, processor)`` pair, a model + ``processor``, or a checkpoint
    dir/id.

    A lingualift checkpoint (full, bridge-only or bridge + LoRA) loads through
    ``LinguaLiftForCausalLM.from_checkpoint`` with its saved processor; any other causal LM, or a PEFT LoRA
    adapter directory of one (base from its ``adapter_config.json``), loads through
    :func:`lingualift.modeling.checkpoints.load_plain_llm` with ``LinguaLiftProcessor.for_plain_llm`` (the
    plain baseline, Mono-SFT).
    """
    if isinstance(model_or_dir, EvaluationBackend):
        return model_or_dir
    if isinstance(model_or_dir, tuple) and len(model_or_dir) == 2:
        model_or_dir, processor = model_or_dir
    if not isinstance(model_or_dir, (str, os.PathLike)):
        processor = processor if processor is not None else getattr(model_or_dir, "processor", None)
        if processor is None:
            raise CheckpointError("an in-memory model needs its processor: pass (model, processor)")
        return TransformersBackend(model_or_dir, processor, device=device)
    return _load_checkpoint(str(model_or_dir), device=device, dtype=dtype)


def _load_checkpoint(source: str, device: Any, dtype: Any) -> EvaluationBackend:
    from transformers import AutoConfig

    from lingualift.modeling import LinguaLiftForCausalLM
    from lingualift.modeling.checkpoints import ADAPTER_CONFIG, CHECKPOINT_META, load_plain_llm

    path = Path(source).expanduser()
    if _is_local_path(source):
        if not path.exists():
            raise CheckpointError(f"model checkpoint not found: {path}")
        if not path.is_dir():
            raise CheckpointError(f"{path}: a model checkpoint must be a directory, got a file")
        has_config = (path / "config.json").is_file()
        if not has_config and not (path / ADAPTER_CONFIG).is_file():  # a PEFT adapter of a plain LM has none
            found = ", ".join(sorted(p.name for p in path.iterdir())[:10]) or "nothing"
            raise CheckpointError(
                f"{path}: not a model checkpoint (no config.json; the directory holds: {found}); expected a"
                f" model directory or a PEFT adapter directory ({ADAPTER_CONFIG}) of a causal LM"
            )
        source = str(path)
        model_type = None
        if has_config:
            try:
                config_dict = json.loads((path / "config.json").read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise CheckpointError(f"{path / 'config.json'}: invalid JSON ({exc})") from None
            model_type = config_dict.get("model_type") if isinstance(config_dict, dict) else None
    else:
        try:
            model_type = AutoConfig.from_pretrained(source).model_type
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot load a model config from {source!r}: {exc}") from None
    try:
        if model_type == "lingualift" or (path / CHECKPOINT_META).is_file():
            model = LinguaLiftForCausalLM.from_checkpoint(
                source, dtype=dtype
            )  # full, bridge or bridge + LoRA
            processor = model.processor
        else:  # a plain causal LM, or a PEFT LoRA adapter of one (the Mono-SFT baseline)
            model, processor = load_plain_llm(source, dtype=dtype)
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"{source}: not a loadable causal LM checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    return TransformersBackend(model, processor, name=source, device=device)
