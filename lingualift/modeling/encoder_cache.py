"""Memoised frozen-encoder states: stage 1 over several epochs encodes the same sentences again and again.

The encoder never trains, so its last hidden states for a given (unpadded) row of input ids never change. The
cache keys each row by its ids, stores its states (valid positions only, on the CPU, in the encoder's dtype)
up to a memory budget, and runs the encoder only on the rows it has not seen — one sub-batch, trimmed to the
longest missing row. Rows are independent of padding and of the other rows of a batch, so a cached row equals
a freshly encoded one up to floating-point reassociation. Rows that do not fit the budget are encoded every
time. Padding positions of the returned states are zero (they are masked out downstream).

Meant for small datasets (the demo, a few hundred thousand sentences with a small encoder): with mT5-xl, 200k
sentences of 40 tokens need 200k × 40 × 2048 × 2 bytes ≈ 33 GB, so set the budget to what the host can spare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class EncoderCacheStats:
    """Counters of one cache: rows served from memory, rows encoded, rows not stored for lack of budget."""

    hits: int = 0
    misses: int = 0
    not_stored: int = 0
    bytes: int = 0
    encoder_calls: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class EncoderCache:
    """Row-level memo of a frozen encoder's ``last_hidden_state`` within ``max_megabytes``."""

    max_megabytes: float = 1024.0
    stats: EncoderCacheStats = field(default_factory=EncoderCacheStats)
    _rows: dict[bytes, torch.Tensor] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self._rows)

    @torch.no_grad()
    def encode(
        self, encoder: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor | None
    ) -> torch.Tensor:
        """``(batch, seq, d)`` states of ``encoder`` for right-padded rows, from memory where possible."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        lengths = attention_mask.sum(dim=1)
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        if not torch.equal(attention_mask.bool(), positions < lengths[:, None]):
            # not right-padded (or holes in the mask): rows are not identified by a prefix; encode as usual
            self.stats.encoder_calls += 1
            return encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        ids_cpu, lengths_list = input_ids.cpu(), lengths.tolist()
        keys = [ids_cpu[i, :n].numpy().tobytes() for i, n in enumerate(lengths_list)]
        missing = [i for i, key in enumerate(keys) if key not in self._rows]
        self.stats.hits += len(keys) - len(missing)
        self.stats.misses += len(missing)
        fresh: dict[int, torch.Tensor] = {}
        if missing:
            width = max(lengths_list[i] for i in missing)
            index = torch.tensor(missing, device=input_ids.device)
            out = encoder(
                input_ids=input_ids[index, :width], attention_mask=attention_mask[index, :width]
            ).last_hidden_state
            self.stats.encoder_calls += 1
            for j, i in enumerate(missing):
                fresh[i] = out[j, : lengths_list[i]]
                self._store(keys[i], fresh[i])
            dtype, hidden = out.dtype, out.shape[-1]
        else:
            first = self._rows[keys[0]]
            dtype, hidden = first.dtype, first.shape[-1]
        states = torch.zeros(
            input_ids.shape[0], input_ids.shape[1], hidden, dtype=dtype, device=input_ids.device
        )
        for i, key in enumerate(keys):
            row = fresh[i] if i in fresh else self._rows[key].to(input_ids.device, non_blocking=True)
            states[i, : lengths_list[i]] = row
        return states

    def _store(self, key: bytes, row: torch.Tensor) -> None:
        size = row.numel() * row.element_size()
        if self.stats.bytes + size > self.max_megabytes * 2**20:
            self.stats.not_stored += 1
            return
        self._rows[key] = row.detach().to("cpu", copy=True)
        self.stats.bytes += size
