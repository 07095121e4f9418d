"""Evaluation backends: one interface for the bridged model and a plain causal LM, so prompts are
identical.

A backend turns ``(instruction, input)`` pairs into greedy responses (batched, left-padded) and scores
candidate responses by log-likelihood. ``TransformersBackend`` wraps any (model, processor) pair: a
``LinguaLiftForCausalLM`` with its processor, or an ``AutoModelForCausalLM`` with
``LinguaLiftProcessor.for_plain_llm`` (the Mono-SFT baseline). Tests plug in scripted backends with no model.

Option scoring (SIB-200, XNLI, X-CSQA) shares each prompt's prefix: the prompt (and, bridged, the encoder)
runs once, its KV cache is expanded per option and all options are scored in one continuation pass — the
same scores as scoring every (prompt, option) sequence in full, at about the cost of one prompt pass.
"""

from __future__ import annotations

import inspect
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import torch

from lingualift.errors import CheckpointError

logger = logging.getLogger(__name__)


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
    """A transformers causal LM (bridged or plain) and its ``LinguaLiftProcessor``.

    ``prefix_sharing`` (default on): :meth:`score_options` runs each prompt once and scores its options over
    the prompt's expanded KV cache; off, or for a model whose cache cannot be expanded, every (prompt, option)
    sequence runs in full (:meth:`score_responses`). ``scoring_path`` tells which path the last call took.
    """

    def __init__(
        self,
        model: Any,
        processor: Any,
        name: str | None = None,
        device: str | torch.device | None = None,
        prefix_sharing: bool = True,
    ):
        self.model = model
        self.processor = processor
        self.name = name or str(getattr(model, "name_or_path", "") or type(model).__name__)
        if device is not None:
            self.model.to(device)
        self.model.eval()
        self.prefix_sharing = bool(prefix_sharing)
        self.scoring_path: str | None = None  # "prefix-shared" or "flattened", set by score_options
        self._no_prefix_sharing: str | None = None  # why this model cannot share prefixes, once found

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

    def prompt_lengths(self, instructions: Sequence[str], inputs: Sequence[str]) -> list[int]:
        """LLM sequence length of each prompt as the model sees it, without padding (a bridged prompt counts
        one ``<enc>`` placeholder per encoder token): the LLM tokens per example, for inference cost."""
        instructions, inputs = list(instructions), list(inputs)
        if len(instructions) == 1 and len(inputs) > 1:
            instructions = instructions * len(inputs)
        if len(instructions) != len(inputs):
            return self.processor(instructions, inputs)["attention_mask"].sum(dim=1).tolist()  # its error
        return [
            len(self.processor.encode_example(instruction, text, index=i)["input_ids"])
            for i, (instruction, text) in enumerate(zip(instructions, inputs))
        ]

    def score_options(
        self, instructions: Sequence[str], inputs: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """Sum of token log-probabilities of each option given its prompt (EOS not counted).

        With prefix sharing, each prompt runs once (left-padded, KV cache kept, last logits only) and all its
        options are scored in one continuation pass over the cache expanded per option: same tokens, same
        positions, same scores as :meth:`score_responses` on every (prompt, option) pair, which remains the
        fallback for models whose cache cannot be expanded.
        """
        rows = [
            (prompt, instruction, text, option)
            for prompt, (instruction, text, opts) in enumerate(zip(instructions, inputs, options))
            for option in opts
        ]
        n_prompts = min(len(instructions), len(inputs), len(options))
        if not rows:
            return [[] for _ in range(n_prompts)]
        flat: list[float] | None = None
        tried = self.prefix_sharing and self._no_prefix_sharing is None
        if tried:
            flat = self._score_options_shared(rows)
        if flat is None:
            if tried:  # said once per backend: later calls go straight to the flattened path
                logger.warning(
                    "%s: scoring options without prefix sharing (%s): every option re-runs its prompt",
                    self.name,
                    self._no_prefix_sharing,
                )
            self.scoring_path = "flattened"
            flat_instr, flat_inputs, flat_opts = (
                [row[1] for row in rows],
                [row[2] for row in rows],
                [row[3] for row in rows],
            )
            flat = [total for total, _ in self.score_responses(flat_instr, flat_inputs, flat_opts)]
        else:
            self.scoring_path = "prefix-shared"
        scores: list[list[float]] = [[] for _ in range(n_prompts)]
        for (prompt, *_), total in zip(rows, flat):
            scores[prompt].append(total)
        return scores

    @torch.inference_mode()
    def _score_options_shared(self, rows: list[tuple[int, str, str, str]]) -> list[float] | None:
        """Prefix-shared option scores, one per row, or None (reason in ``_no_prefix_sharing``) when the
        prompts of a row group differ or the model's KV cache cannot be expanded."""
        # tokenise the full sequences as score_responses does; a row's prompt is its unlabelled head
        full = self.processor(
            [row[1] for row in rows],
            [row[2] for row in rows],
            responses=[row[3] for row in rows],
            padding_side="right",
        )
        lengths = full["attention_mask"].sum(dim=1).tolist()
        encoded = "encoder_input_ids" in full
        enc_lengths = full["encoder_attention_mask"].sum(dim=1).tolist() if encoded else None
        groups: dict[int, int] = {}  # prompt index -> row of the prompt batch
        examples: list[dict[str, list[int]]] = []
        group_of_row, targets = [], []
        for r, (prompt, *_) in enumerate(rows):
            ids, labels = full["input_ids"][r, : lengths[r]], full["labels"][r, : lengths[r]]
            answer = torch.nonzero(labels != -100).flatten()
            head = lengths[r] - len(answer)  # response labels close each sequence
            if head <= 0 or (len(answer) and not torch.equal(answer, torch.arange(head, lengths[r]))):
                self._no_prefix_sharing = "the processor's labels do not follow one unlabelled prompt"
                return None
            example = {"input_ids": ids[:head].tolist()}
            if encoded:
                example["encoder_input_ids"] = full["encoder_input_ids"][r, : enc_lengths[r]].tolist()
            if prompt not in groups:
                groups[prompt] = len(examples)
                examples.append(example)
            elif examples[groups[prompt]] != example:
                self._no_prefix_sharing = "the processor tokenises a prompt differently per option"
                return None
            group_of_row.append(groups[prompt])
            answer_ids = ids[head:].tolist()
            # the closing EOS the processor appends is not scored (score_responses drops the last label)
            targets.append(answer_ids[:-1] if len(answer_ids) > 1 else answer_ids)

        # prefill: every distinct prompt once, left-padded, cache kept, logits of the last position only
        batch = self._to_device(self.processor.pad(examples, padding_side="left", with_labels=False))
        prompt_mask = batch["attention_mask"]
        position_ids = (prompt_mask.long().cumsum(dim=1) - 1).clamp(min=0)
        cache_name = _cache_keyword(self.model)
        out = self.model(**batch, position_ids=position_ids, use_cache=True, logits_to_keep=1)
        cache = _output_cache(out)
        reason = _unexpandable(cache)
        if reason is not None:
            self._no_prefix_sharing = reason
            return None
        first = out.logits[:, -1].float().log_softmax(dim=-1)  # (prompts, vocab): each option's first token
        del out
        device = first.device
        group = torch.tensor(group_of_row, device=device)
        first_ids = torch.tensor([t[0] if t else 0 for t in targets], device=device)
        has_first = torch.tensor([bool(t) for t in targets], device=device)
        totals = torch.where(has_first, first[group, first_ids], torch.zeros((), device=device))

        # continuation: the options' remaining tokens over the prompt cache repeated per option
        cont = [r for r, t in enumerate(targets) if len(t) > 1]
        if cont:
            width = max(len(targets[r]) for r in cont) - 1
            pad_id = self.processor.llm_tokenizer.pad_token_id
            cont_ids = torch.full((len(cont), width), pad_id, dtype=torch.long)
            cont_mask = torch.zeros((len(cont), width), dtype=prompt_mask.dtype)
            next_ids = torch.full((len(cont), width), -100, dtype=torch.long)
            for i, r in enumerate(cont):
                n = len(targets[r]) - 1
                cont_ids[i, :n] = torch.tensor(targets[r][:-1])
                next_ids[i, :n] = torch.tensor(targets[r][1:])
                cont_mask[i, :n] = 1
            cont_ids, cont_mask, next_ids = cont_ids.to(device), cont_mask.to(device), next_ids.to(device)
            select = group[torch.tensor(cont, device=device)]
            cache.batch_select_indices(select)
            attention_mask = torch.cat([prompt_mask[select], cont_mask], dim=1)
            positions = prompt_mask.long().sum(dim=1)[select, None] + torch.arange(width, device=device)
            logits = self.model(
                input_ids=cont_ids,
                attention_mask=attention_mask,
                position_ids=positions,
                use_cache=True,
                **{cache_name: cache},
            ).logits
            real = cont_mask.bool()
            picked = logits[real].float().log_softmax(dim=-1).gather(-1, next_ids[real][:, None]).squeeze(-1)
            row_of_token = torch.nonzero(real, as_tuple=True)[0]
            rest = torch.zeros(len(cont), device=device).index_add_(0, row_of_token, picked)
            totals = totals.index_add(0, torch.tensor(cont, device=device), rest)
        return totals.tolist()


def _cache_keyword(model: Any) -> str:
    """The keyword a model's ``forward`` takes the KV cache under: ``cache`` from transformers 5.24,
    ``past_key_values`` before."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    parameters = inspect.signature(type(base).forward).parameters
    if "cache" in parameters:
        return "cache"
    if "past_key_values" in parameters:
        return "past_key_values"
    from transformers import GenerationMixin

    generation = inspect.signature(GenerationMixin.prepare_inputs_for_generation).parameters
    return "cache" if "cache" in generation else "past_key_values"


def _output_cache(output: Any) -> Any:
    """The KV cache a forward returned (``cache`` from transformers 5.24, ``past_key_values`` before)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


def _unexpandable(cache: Any) -> str | None:
    """Why a returned KV cache cannot be repeated per option (None when it can): only dynamic key/value
    layers (full or sliding attention) are gathered along the batch; recurrent or static states are not."""
    from transformers import cache_utils

    dynamic = getattr(cache_utils, "DynamicLayer", None)
    if dynamic is None:
        return "this transformers version has no per-layer KV cache objects"
    recurrent = getattr(cache_utils, "LinearAttentionCacheLayerMixin", ())  # e.g. Mamba states (5.24)
    if not isinstance(cache, cache_utils.Cache):
        return f"the model returned no expandable KV cache (got {type(cache).__name__})"
    layers = list(getattr(cache, "layers", []))
    bad = [
        type(layer).__name__
        for layer in layers
        if not isinstance(layer, dynamic) or isinstance(layer, recurrent)
    ]
    if not layers or bad:
        return f"its {type(cache).__name__} has layers that cannot be expanded per option ({bad or 'none'})"
    return None


def load_backend(
    model_or_dir: Any,
    processor: Any = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> EvaluationBackend:
    """A backend from a backend, a ``(model, processor)`` pair, a model + ``processor``, or a checkpoint
    dir/id.

    A checkpoint loads through :func:`lingualift.persistence.checkpoints.load_with_processor`: a lingualift
    form (full, bridge-only or bridge + LoRA) with its saved processor; any other causal LM, or a PEFT LoRA
    adapter directory of one (base from its ``adapter_config.json``), with
    ``LinguaLiftProcessor.for_plain_llm`` (the plain baseline, Mono-SFT).
    """
    if isinstance(model_or_dir, EvaluationBackend):
        return model_or_dir
    if isinstance(model_or_dir, tuple) and len(model_or_dir) == 2:
        model_or_dir, processor = model_or_dir
    if not isinstance(model_or_dir, (str, os.PathLike)):
        if processor is None:
            raise CheckpointError("an in-memory model needs its processor: pass (model, processor)")
        return TransformersBackend(model_or_dir, processor, device=device)
    return _load_checkpoint(str(model_or_dir), device=device, dtype=dtype)


def _load_checkpoint(source: str, device: Any, dtype: Any) -> EvaluationBackend:
    from lingualift.persistence.checkpoints import load_with_processor

    try:  # a local directory or a Hub id, the same rule as every loader
        model, processor = load_with_processor(source, dtype=dtype)
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"{source}: not a loadable causal LM checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    return TransformersBackend(model, processor, name=source, device=device)
