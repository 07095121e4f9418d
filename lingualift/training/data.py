"""Training data: JSONL records ``{instruction, input, output}`` -> a `datasets.Dataset` and processor
batches.

`input` is the text the frozen encoder reads (code-switched text in stage 1, the task query in stage 2),
`output` is the response the LLM learns. Each example gets a ``length`` column (its LLM sequence length,
encoder placeholders included) so the Trainer can group batches of similar length and waste less compute on
padding.
"""

from __future__ import annotations

import os
from typing import Any

import datasets

from lingualift.errors import InputDataError
from lingualift.io_utils import read_jsonl

RECORD_FIELDS = ("instruction", "input", "output")
LENGTH_COLUMN = "length"


def load_records(path: str | os.PathLike, max_samples: int | None = None) -> list[dict[str, str]]:
    """Read training records; every error names the file, line and field (InputDataError)."""
    raw = read_jsonl(path, required_fields=RECORD_FIELDS)
    if not raw:
        raise InputDataError(f"{path}: no records")
    records = []
    for number, record in enumerate(raw, start=1):
        for name in RECORD_FIELDS:
            if not isinstance(record[name], str):
                raise InputDataError(
                    f"{path}: record {number}: field {name!r} must be a string, "
                    f"got {type(record[name]).__name__}"
                )
        if not record["output"].strip():
            raise InputDataError(f"{path}: record {number}: field 'output' is empty (nothing to learn)")
        records.append({name: record[name] for name in RECORD_FIELDS})
        if max_samples is not None and len(records) >= max_samples:
            break
    return records


def sequence_lengths(processor: Any, records: list[dict[str, str]], chunk_size: int = 256) -> list[int]:
    """LLM sequence length of each record as the processor builds it (instruction + encoder span +
    response)."""
    lengths: list[int] = []
    for start in range(0, len(records), chunk_size):
        chunk = records[start : start + chunk_size]
        batch = processor(
            [r["instruction"] for r in chunk],
            [r["input"] for r in chunk],
            responses=[r["output"] for r in chunk],
            return_tensors="pt",
        )
        lengths.extend(int(n) for n in batch["attention_mask"].sum(dim=-1).tolist())
    return lengths


def build_dataset(
    source: str | os.PathLike | list[dict[str, str]], processor: Any, max_samples: int | None = None
) -> datasets.Dataset:
    """Records (a path, or already :func:`load_records`-checked records) as a `datasets.Dataset` with the
    record columns and a ``length`` column."""
    records = source if isinstance(source, list) else load_records(source, max_samples=max_samples)
    lengths = sequence_lengths(processor, records)
    return datasets.Dataset.from_dict(
        {**{name: [r[name] for r in records] for name in RECORD_FIELDS}, LENGTH_COLUMN: lengths}
    )


class InstructionCollator:
    """Turn a list of records into one padded processor batch (labels only on response tokens + EOS)."""

    def __init__(self, processor: Any):
        self.processor = processor

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.processor(
            [f["instruction"] for f in features],
            [f["input"] for f in features],
            responses=[f["output"] for f in features],
            return_tensors="pt",
        )
        return dict(batch)


__all__ = ["RECORD_FIELDS", "InstructionCollator", "build_dataset", "load_records", "sequence_lengths"]
