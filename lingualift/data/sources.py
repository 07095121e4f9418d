"""Read corpora and task files (plain text, JSON Lines, JSON arrays, TSV; Parquet and JSON(L) of a Hub dataset
named ``org/name[:split]``) and write datasets (JSONL or HF ``datasets``).

Every record keeps a ``where`` string (``file:line``) so that errors raised later still name the place.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lingualift.errors import ConfigError, InputDataError
from lingualift.hub import dataset_snapshot, is_local_path
from lingualift.io_utils import (
    atomic_directory,
    atomic_write_jsonl,
    check_output_path,
    iter_jsonl,
    iter_text_lines,
)

JSONL_SUFFIXES = (".jsonl", ".ndjson")
RECORD_SUFFIXES = (*JSONL_SUFFIXES, ".json", ".tsv")
OUTPUT_FORMATS = ("jsonl", "hf")
HF_DATASET_MARKER = "dataset_info.json"  # what datasets' save_to_disk writes: a folder it may replace


def iter_sentences(path: str | os.PathLike, field: str | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(where, text)`` from a plain-text file (one sentence per non-blank line), JSONL or a Hub
    dataset ``org/name[:split]`` (``field``).

    JSONL (``.jsonl``/``.ndjson``/``.json`` lines) and Hub datasets read ``field`` (default ``text``); errors
    name file, line, keys.
    """
    hub = is_hub_dataset(path)
    path = Path(path)
    if not hub and path.suffix.lower() not in JSONL_SUFFIXES + (".json",):
        if field is not None:
            raise ConfigError(
                f"--field {field!r} given but {path} is plain text (use a .jsonl file for fields)"
            )
        for number, line in iter_text_lines(path):
            if line.strip():
                yield f"{path}:{number}", line
        return
    key = field or "text"
    for where, record in iter_records(os.fspath(path) if hub else path):
        if key not in record:
            raise InputDataError(
                f"{where}: missing field {key!r}; the record has: {', '.join(record) or 'no fields'}"
                f"{'' if field else ' (choose one with --field / field=)'}"
            )
        value = record[key]
        if not isinstance(value, str):
            raise InputDataError(f"{where}: field {key!r} must be a string, got {type(value).__name__}")
        if value.strip():
            yield where, value


@dataclass
class SentenceFilter:
    """Which corpus sentences a build keeps: whitespace-normalised, ``min_words``..``max_words`` words long
    and, with ``dedupe``, each distinct sentence (compared case-insensitively) once; ``dropped`` counts the
    rest by reason. Deduplication holds an 8-byte digest per distinct sentence (about 14 MB for the paper's
    200k sentences), so memory stays far below the corpus's own size."""

    min_words: int = 1
    max_words: int | None = None
    dedupe: bool = False
    dropped: dict[str, int] = field(default_factory=lambda: {"too_short": 0, "too_long": 0, "duplicate": 0})
    _seen: set[bytes] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.min_words < 1 or (self.max_words is not None and self.max_words < self.min_words):
            raise ConfigError(
                f"sentence length filter: need 1 <= min_words <= max_words, got min_words={self.min_words},"
                f" max_words={self.max_words}"
            )

    @property
    def active(self) -> bool:
        """Whether the filter can drop anything (an inactive one passes sentences through untouched)."""
        return self.min_words > 1 or self.max_words is not None or self.dedupe

    def keep(self, sentence: str) -> str | None:
        """The normalised sentence when it passes, else None (counted under its reason)."""
        sentence = " ".join(sentence.split())
        words = len(sentence.split())
        if words < self.min_words:
            self.dropped["too_short"] += 1
            return None
        if self.max_words is not None and words > self.max_words:
            self.dropped["too_long"] += 1
            return None
        if self.dedupe:
            key = hashlib.blake2b(sentence.lower().encode("utf-8"), digest_size=8).digest()
            if key in self._seen:
                self.dropped["duplicate"] += 1
                return None
            self._seen.add(key)
        return sentence

    def __call__(self, sentences: Iterable[str]) -> Iterator[str]:
        """The sentences that pass, in order (all of them, unchanged, when the filter is inactive)."""
        if not self.active:
            yield from sentences
            return
        for sentence in sentences:
            kept = self.keep(sentence)
            if kept is not None:
                yield kept


def iter_records(
    source: str | os.PathLike | Iterable[Mapping[str, Any]],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, record)`` from a JSONL file, a JSON array file, a TSV file, or an iterable of dicts.

    TSV files with a header row naming their columns give dicts keyed by the header; without a known header
    the columns are returned as ``{"columns": [...]}`` for the task parser to interpret (e.g. XTREME XNLI
    layout).
    """
    if not isinstance(source, (str, os.PathLike)):
        for number, record in enumerate(source, start=1):
            if not isinstance(record, Mapping):
                raise InputDataError(f"record {number}: expected a dict, got {type(record).__name__}")
            yield f"record {number}", dict(record)
        return
    path = Path(source)
    suffix = path.suffix.lower()
    if is_hub_dataset(source):
        yield from iter_hub_records(os.fspath(source))
        return
    if suffix == ".tsv":
        yield from _iter_tsv(path)
    elif suffix == ".json" and _starts_with(path, "["):
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except UnicodeDecodeError as exc:
            raise InputDataError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
        except json.JSONDecodeError as exc:
            raise InputDataError(
                f"{path}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        for number, record in enumerate(data, start=1):
            if not isinstance(record, dict):
                raise InputDataError(
                    f"{path}: item {number}: expected a JSON object, got {type(record).__name__}"
                )
            yield f"{path}: item {number}", record
    elif suffix in JSONL_SUFFIXES + (".json",):
        for number, record in iter_jsonl(path):
            yield f"{path}:{number}", record
    else:
        raise ConfigError(f"unsupported input file {path}: expected .jsonl, .json or .tsv")


def is_hub_dataset(source: str | os.PathLike) -> bool:
    """``org/name`` or ``org/name:split`` that is no local path and has no data-file suffix (a missing
    ``data.jsonl`` stays a missing file, never a Hub id)."""
    text = os.fspath(source)
    repo = text.partition(":")[0]
    return (
        isinstance(source, str)
        and repo.count("/") == 1
        and not is_local_path(repo)
        and not Path(text).exists()
        and Path(repo).suffix.lower() not in RECORD_SUFFIXES
    )


def _in_split(relative: Path, split: str) -> bool:
    """A data file of ``split`` in the Hub's layouts: ``split-00000-of-00004.parquet``, ``split.jsonl``,
    ``split/...``; ``config/split`` takes the files of ``split`` under the folder ``config/`` (datasets with
    several configurations, e.g. ``openai/gsm8k:main/train``)."""
    config, _, split = split.rpartition("/")
    if config and relative.parts[: len(Path(config).parts)] != Path(config).parts:
        return False
    stem = relative.name.split(".")[0]
    return stem == split or stem.startswith(f"{split}-") or split in relative.parts[:-1]


def iter_hub_records(spec: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Records of Hub dataset ``org/name[:[config/]split]``: the JSON, JSONL and Parquet files of its
    snapshot (all of them, or those of ``split``, under ``config/`` when given) in name order, Parquet read
    in row batches (memory flat in the file size). Offline the snapshot comes from the local Hub cache."""
    repo, _, split = spec.partition(":")
    root = dataset_snapshot(repo, what="task data")
    data_files = [
        path.relative_to(root)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix.lower() in (".parquet", *RECORD_SUFFIXES)
    ]
    chosen = [rel for rel in data_files if not split or _in_split(rel, split)]
    if not chosen:
        held = ", ".join(str(rel) for rel in data_files[:10]) or "no data files"
        raise InputDataError(
            f"{spec}: no JSON, JSONL or Parquet data files"
            + (f" of split {split!r}" if split else "")
            + f" in the Hub dataset (it holds: {held}); name a split its files carry (org/name:split, or"
            " org/name:config/split)"
        )
    for rel in chosen:
        label = f"{repo}/{rel}"
        if rel.suffix.lower() == ".parquet":
            yield from _iter_parquet(root / rel, label)
        else:
            for where, record in iter_records(root / rel):
                yield where.replace(str(root / rel), label, 1), record


def _iter_parquet(path: Path, label: str, batch_size: int = 1024) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow's ArrowInvalid/OSError: not Parquet, or truncated
        raise InputDataError(f"{label}: not a readable Parquet file ({exc}); download it again") from None
    number = 0
    for batch in handle.iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            number += 1
            yield f"{label}: row {number}", record


def _starts_with(path: Path, char: str) -> bool:
    if not path.is_file():
        raise InputDataError(f"{path}: file not found")
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] == char.encode()


_TSV_HEADER_WORDS = frozenset(
    {"premise", "hypothesis", "label", "gold_label", "sentence1", "sentence2", "question", "answer"}
)


def _iter_tsv(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    header: list[str] | None = None
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        columns = line.split("\t")
        if number == 1 and _TSV_HEADER_WORDS & {c.strip().lower() for c in columns}:
            header = [c.strip().lower() for c in columns]
            continue
        if header is None:
            yield f"{path}:{number}", {"columns": columns}
        elif len(columns) != len(header):
            raise InputDataError(
                f"{path}:{number}: expected {len(header)} tab-separated columns, got {len(columns)}"
            )
        else:
            yield f"{path}:{number}", dict(zip(header, columns))


def output_format(out: str | os.PathLike, fmt: str | None) -> str:
    """``jsonl`` for ``*.jsonl``/``*.json`` paths, ``hf`` (``datasets.save_to_disk`` folder) otherwise, or
    ``fmt``."""
    if fmt is not None:
        if fmt not in OUTPUT_FORMATS:
            raise ConfigError(f"output format must be one of {', '.join(OUTPUT_FORMATS)}, got {fmt!r}")
        return fmt
    return "jsonl" if Path(out).suffix.lower() in JSONL_SUFFIXES + (".json",) else "hf"


def check_records_output(
    out: str | os.PathLike,
    fmt: str | None = None,
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike | None] = (),
) -> Path:
    """The output rule for a dataset written by :func:`write_records` (call it before the work): ``out`` is
    not an input, and an existing ``out`` (a JSONL file, or a saved HF dataset folder) needs ``overwrite``."""
    hf = output_format(out, fmt) == "hf"
    return check_output_path(
        out,
        inputs,
        overwrite,
        created_marker=HF_DATASET_MARKER if hf else None,
        directory=hf,
        what="dataset",
    )


def write_records(
    records: Iterable[dict[str, Any]],
    out: str | os.PathLike,
    fmt: str | None = None,
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike | None] = (),
) -> int:
    """Write records atomically as JSONL or as an HF ``datasets`` folder; returns the count.

    Output policy (:func:`lingualift.io_utils.check_output_path`): ``out`` may not be one of ``inputs``; an
    existing ``out`` is replaced only with ``overwrite`` (a folder only when it is a saved HF dataset).
    """
    out = Path(out)
    inputs = tuple(inputs)
    if output_format(out, fmt) == "jsonl":
        check_records_output(out, fmt, overwrite=overwrite, inputs=inputs)
        return atomic_write_jsonl(out, records)
    import datasets

    with atomic_directory(
        out, overwrite=overwrite, marker=HF_DATASET_MARKER, inputs=inputs, what="dataset"
    ) as tmp:
        rows = list(records)
        datasets.Dataset.from_list(rows).save_to_disk(str(tmp))
    return len(rows)
