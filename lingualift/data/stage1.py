"""Stage-1 (language alignment) dataset: code-switched English sentences -> their English originals.

Each record is ``{"instruction", "input", "output", "lang", "replaced", "id"}``: ``instruction`` names the
source language ("Translate the following French text into English:"), ``input`` is the code-switched text
(encoder side), ``output`` the English original, ``replaced`` the replaced spans. With several lexicons the
sentences are spread over the languages in balance (``assign="balanced"``) or every sentence appears in every
language (``assign="all"``). Multilingual task data can be mixed in (paper E.6) with
``mix_in``/``mix_in_fraction``.

Usage::

    summary = build_stage1_dataset("corpus.txt", {"fr": "en-fr.tsv", "sw": "en-sw.tsv"}, out="stage1.jsonl")
    print(summary.stats.format_table())
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from lingualift.codeswitch import CodeSwitcher, SwitchResult, SwitchStats
from lingualift.codeswitch.lexicon import LexiconSource
from lingualift.codeswitch.switcher import ASSIGNMENTS
from lingualift.data.prompts import stage1_instruction
from lingualift.data.sources import (
    SentenceFilter,
    check_records_output,
    is_hub_dataset,
    iter_records,
    iter_sentences,
    write_records,
)
from lingualift.errors import ConfigError, InputDataError
from lingualift.io_utils import atomic_write_json, path_inputs
from lingualift.options import with_settings

logger = logging.getLogger(__name__)


@dataclass
class Stage1Summary:
    """What a stage-1 build produced: switching statistics, counts, and the records when no ``out`` was
    given."""

    stats: SwitchStats
    sentences: int = 0
    records: int = 0
    unswitched_dropped: int = 0
    filtered: dict[str, int] = field(default_factory=dict)  # corpus sentences dropped by reason
    mixed_in: int = 0
    out: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "records": self.records,
            "unswitched_dropped": self.unswitched_dropped,
            "filtered": dict(self.filtered),
            "mixed_in": self.mixed_in,
            "out": self.out,
            "switching": self.stats.to_dict(),
        }


def stage1_record(result: SwitchResult, instruction: str) -> dict[str, Any]:
    """The training record of one code-switched sentence."""
    return {
        "id": f"stage1-{result.index}-{result.lang}",
        "instruction": instruction,
        "input": result.text,
        "output": result.source,
        "lang": result.lang,
        "replaced": [r.to_dict() for r in result.replacements],
    }


def _sentences(source: str | os.PathLike | Iterable[str], field: str | None) -> Iterator[str]:
    """A path (str or PathLike) is read as a corpus file; any other iterable is taken as the sentences."""
    if isinstance(source, (str, os.PathLike)):
        return (text for _, text in iter_sentences(source, field))
    return iter(source)


def _mix_in_records(mix_in: str | os.PathLike | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Task records to mix in; each needs string ``instruction``/``input``/``output`` (``lang`` optional)."""
    records = []
    for where, record in iter_records(mix_in):
        for key in ("instruction", "input", "output"):
            if not isinstance(record.get(key), str):
                raise InputDataError(
                    f"{where}: mix-in record needs a string field {key!r} (instruction/input/output), "
                    f"got {type(record.get(key)).__name__ if key in record else 'nothing'}"
                )
        records.append(
            {
                "id": str(record.get("id", f"mix-{len(records)}")),
                "instruction": record["instruction"],
                "input": record["input"],
                "output": record["output"],
                "lang": str(record.get("lang", "mix")),
                "replaced": [],
            }
        )
    if not records:
        raise InputDataError(f"mix-in data {mix_in} holds no records")
    return records


def _interleave(first: Sequence[dict], second: Sequence[dict], rng: random.Random) -> list[dict]:
    """Merge two lists at random positions while keeping the order inside each."""
    merged, i, j = [], 0, 0
    while i < len(first) or j < len(second):
        left, right = len(first) - i, len(second) - j
        if rng.random() * (left + right) < left:
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged


class _RecordMaker:
    """Counts each :class:`SwitchResult` into a summary and makes its record (None: dropped unswitched)."""

    def __init__(
        self,
        switcher: CodeSwitcher,
        summary: Stage1Summary,
        language_names: Mapping[str, str] | None,
        keep_unswitched: bool,
    ):
        self.instructions = {lang: stage1_instruction(lang, language_names) for lang in switcher.languages}
        self.summary, self.keep_unswitched = summary, keep_unswitched
        self.last_index = -1

    def __call__(self, result: SwitchResult) -> dict[str, Any] | None:
        summary = self.summary
        if result.index != self.last_index:
            summary.sentences += 1
            self.last_index = result.index
        summary.stats.add(result)
        if not result.replacements and not self.keep_unswitched:
            summary.unswitched_dropped += 1
            return None
        summary.records += 1
        return stage1_record(result, self.instructions[result.lang])


def iter_stage1_records(
    switcher: CodeSwitcher,
    sentences: Iterable[str],
    assign: str = "balanced",
    language_names: Mapping[str, str] | None = None,
    keep_unswitched: bool = False,
    summary: Stage1Summary | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream stage-1 records (sentence order); sentences with no replaced word are dropped unless kept."""
    summary = summary if summary is not None else Stage1Summary(stats=SwitchStats())
    make = _RecordMaker(switcher, summary, language_names, keep_unswitched)  # fails early on a bad language

    def generate() -> Iterator[dict[str, Any]]:
        for result in switcher.iter_switch(sentences, assign=assign):
            record = make(result)
            if record is not None:
                yield record

    return generate()


RESUME_EVERY = 500  # sentences between the progress records of a resumable build


def _corpus_identity(source: str | os.PathLike | Iterable[str]) -> dict[str, Any] | None:
    """What identifies a corpus for a resumed build: path, size and modification time of a file, the name of
    a Hub dataset; None for sentences passed in memory."""
    if not isinstance(source, (str, os.PathLike)):
        return None
    if is_hub_dataset(source):
        return {"hub": os.fspath(source)}
    stat = Path(source).stat()
    return {"path": str(Path(source).resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _build_resumably(
    switcher: CodeSwitcher,
    stream: Iterable[str],
    out: Path,
    settings: dict[str, Any],
    summary: Stage1Summary,
    make: _RecordMaker,
    assign: str,
) -> None:
    """Write ``out`` through ``OUT.partial``, recording every :data:`RESUME_EVERY` sentences how far it got
    (``OUT.partial.json``: sentences done, bytes written, statistics, the settings and inputs); a re-run
    with the same settings and inputs cuts the partial file back to the last record and continues, one with
    other settings is refused. Each sentence's output depends only on its index, so the result is the
    uninterrupted build's."""
    partial, progress = out.with_name(out.name + ".partial"), out.with_name(out.name + ".partial.json")
    start = 0
    if progress.is_file():
        saved = json.loads(progress.read_text(encoding="utf-8"))
        if saved.get("settings") != settings:
            changed = sorted(
                key
                for key in set(saved.get("settings", {})) | set(settings)
                if saved.get("settings", {}).get(key) != settings.get(key)
            )
            raise ConfigError(
                f"{progress}: the interrupted build used other settings or inputs ({', '.join(changed)});"
                " resume with the same ones, or delete the .partial files to start over"
            )
        if not partial.is_file() or partial.stat().st_size < saved["bytes"]:
            raise InputDataError(
                f"{partial}: shorter than the {saved['bytes']} bytes {progress} recorded (damaged);"
                " delete the .partial files to start over"
            )
        start = int(saved["sentences"])
        with open(partial, "r+b") as handle:
            handle.truncate(saved["bytes"])
        summary.sentences, summary.records = start, int(saved["records"])
        summary.unswitched_dropped = int(saved["unswitched_dropped"])
        summary.stats = SwitchStats.from_state(saved["stats"])
        iterator = iter(stream)
        skipped = sum(1 for _ in islice(iterator, start))
        if skipped < start:
            raise InputDataError(
                f"{progress}: the corpus now has only {skipped} usable sentences, the interrupted build had"
                f" done {start}; delete the .partial files to start over"
            )
        stream = iterator
        logger.info("resuming the stage-1 build at sentence %d (%s)", start, partial)
    else:
        partial.unlink(missing_ok=True)

    def commit(handle: Any, done: int) -> None:
        handle.flush()
        os.fsync(handle.fileno())
        atomic_write_json(
            progress,
            {
                "settings": settings,
                "sentences": done,
                "bytes": handle.tell(),
                "records": summary.records,
                "unswitched_dropped": summary.unswitched_dropped,
                "stats": summary.stats.state(),
            },
        )

    with open(partial, "a", encoding="utf-8") as handle:
        for result in switcher.iter_switch(stream, assign=assign, start_index=start):
            if result.index != make.last_index and result.index > start and result.index % RESUME_EVERY == 0:
                commit(handle, result.index)  # every earlier sentence is written and counted
            record = make(result)
            if record is not None:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, out)
    progress.unlink(missing_ok=True)


@dataclass(frozen=True)
class Stage1Options:
    """How :func:`build_stage1_dataset` reads the corpus, shapes the records and writes them; checked on
    construction. (How words are switched — ``ratio``, ``pos``, ``choice``, ``seed``, the spaCy ``model`` — is
    the :class:`CodeSwitcher`'s.)

    Corpus: ``field`` (the text field of a JSONL corpus or Hub dataset), ``min_words``/``max_words``/
    ``dedupe`` (:class:`lingualift.data.sources.SentenceFilter`), then ``limit``, the sentence budget, takes
    the first ``limit`` sentences that pass. Records: ``assign`` (``balanced`` spreads the sentences over the
    languages, ``all`` puts every sentence in every language), ``keep_unswitched``, ``language_names`` for
    the instruction of languages the package does not know. Mix-in (paper E.6): ``mix_in`` records, of which
    ``mix_in_fraction`` is the share of the final dataset (None = all of them). Output: ``output_format``,
    ``overwrite``, ``resume`` (a JSONL output written through ``OUT.partial``; an interrupted build with the
    same inputs and settings continues), ``progress``.
    """

    field: str | None = None
    limit: int | None = None
    min_words: int = 1
    max_words: int | None = None
    dedupe: bool = False
    assign: str = "balanced"
    keep_unswitched: bool = False
    language_names: Mapping[str, str] | None = None
    mix_in: str | os.PathLike | Iterable[Mapping[str, Any]] | None = None
    mix_in_fraction: float | None = None
    output_format: str | None = None
    overwrite: bool = False
    resume: bool = False
    progress: bool = False

    def __post_init__(self) -> None:
        if self.assign not in ASSIGNMENTS:
            raise ConfigError(f"assign must be one of {', '.join(ASSIGNMENTS)}, got {self.assign!r}")
        if self.mix_in_fraction is not None and not 0.0 <= self.mix_in_fraction < 1.0:
            raise ConfigError(f"mix_in_fraction must be in [0, 1), got {self.mix_in_fraction!r}")
        if self.mix_in_fraction and self.mix_in is None:
            raise ConfigError("mix_in_fraction given without mix_in data")
        if self.limit is not None and (
            isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1
        ):
            raise ConfigError(f"limit must be an integer >= 1, got {self.limit!r}")
        SentenceFilter(self.min_words, self.max_words, self.dedupe)  # checks the bounds


def _split_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keyword settings of :func:`build_stage1_dataset` → (Stage1Options fields, CodeSwitcher arguments)."""
    import dataclasses
    import difflib
    import inspect

    option_names = [f.name for f in dataclasses.fields(Stage1Options)]
    switcher_names = [n for n in inspect.signature(CodeSwitcher).parameters if n != "lexicons"]
    for key in settings:
        if key not in option_names and key not in switcher_names:
            close = difflib.get_close_matches(key, option_names + switcher_names, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(
                f"unknown build_stage1_dataset setting {key!r}{hint} (Stage1Options:"
                f" {', '.join(option_names)}; CodeSwitcher: {', '.join(switcher_names)})"
            )
    return (
        {k: v for k, v in settings.items() if k in option_names},
        {k: v for k, v in settings.items() if k in switcher_names},
    )


def build_stage1_dataset(
    sentences: str | os.PathLike | Iterable[str],
    lexicons: Mapping[str, LexiconSource] | Iterable[LexiconSource] | None = None,
    out: str | os.PathLike | None = None,
    options: Stage1Options | None = None,
    *,
    switcher: CodeSwitcher | None = None,
    **settings: Any,
) -> Stage1Summary:
    """Code-switch a corpus (path to .txt/.jsonl, a Hub dataset id, or a list of sentences) into stage-1
    records.

    Writes ``out`` (``.jsonl`` or an HF ``datasets`` folder) when given, else returns the records in
    ``.rows``. ``options``: a :class:`Stage1Options`; keyword ``settings`` override its fields, and the
    :class:`CodeSwitcher` arguments among them (``ratio``, ``seed``, ``model``, ``n_process``, ...) build the
    switcher from ``lexicons`` — or pass a ready ``switcher=``.
    ``out`` may not be one of the input files and, when it exists, is replaced only with ``overwrite``
    (checked before any work; :func:`lingualift.io_utils.check_output_path`).
    """
    option_settings, switcher_options = _split_settings(settings)
    options = with_settings(Stage1Options, options, option_settings)
    field, limit, assign, mix_in = options.field, options.limit, options.assign, options.mix_in
    mix_in_fraction, output_format, overwrite = (
        options.mix_in_fraction,
        options.output_format,
        options.overwrite,
    )
    keep_unswitched, language_names = options.keep_unswitched, options.language_names
    if switcher is not None and (switcher_options or lexicons is not None):
        raise ConfigError("pass either switcher= or lexicons/switcher options, not both")
    inputs = path_inputs(
        sentences if isinstance(sentences, (str, os.PathLike)) else None,
        mix_in if isinstance(mix_in, (str, os.PathLike)) else None,
        lexicons if isinstance(lexicons, (str, os.PathLike, Mapping, list, tuple)) else None,
        list(switcher.lexicons.values()) if switcher is not None else None,
    )
    if out is not None:  # before the spaCy pipeline loads: a refused output costs nothing
        check_records_output(out, output_format, overwrite=overwrite, inputs=inputs)
    if switcher is None:
        if lexicons is None:
            raise ConfigError("build_stage1_dataset needs lexicons (or a ready CodeSwitcher via switcher=)")
        switcher = CodeSwitcher(lexicons, **switcher_options)
    if options.resume and (
        out is None or mix_in is not None or output_format == "hf" or Path(out).suffix == ""
    ):
        raise ConfigError(
            "resume needs a JSONL out file and no mix-in data (an HF dataset or a mixed build is written"
            " at once)"
        )
    mix_records = _mix_in_records(mix_in) if mix_in is not None else []

    corpus_filter = SentenceFilter(options.min_words, options.max_words, options.dedupe)
    stream = corpus_filter(_sentences(sentences, field))
    if limit is not None:
        stream = islice(stream, limit)
    first = next(stream, None)
    if first is None:
        raise InputDataError(
            f"{sentences if isinstance(sentences, (str, os.PathLike)) else 'input'}: no sentences"
        )
    stream = chain([first], stream)
    if options.progress:
        from tqdm.auto import tqdm

        stream = tqdm(stream, desc="code-switching", unit=" sent")
    summary = Stage1Summary(
        stats=SwitchStats(), out=str(out) if out is not None else None, filtered=corpus_filter.dropped
    )
    if options.resume:
        assert out is not None
        settings = {
            "corpus": _corpus_identity(sentences),
            "field": field,
            "switcher": switcher.settings(),
            "assign": assign,
            "keep_unswitched": keep_unswitched,
            "language_names": dict(language_names or {}),
            "limit": limit,
            "filter": {
                "min_words": options.min_words,
                "max_words": options.max_words,
                "dedupe": options.dedupe,
            },
        }
        make = _RecordMaker(switcher, summary, language_names, keep_unswitched)
        _build_resumably(switcher, stream, Path(out), settings, summary, make, assign)
        return summary
    records: Iterable[dict[str, Any]] = iter_stage1_records(
        switcher, stream, assign, language_names, keep_unswitched, summary
    )
    if mix_records:
        records = list(records)
        rng = random.Random(f"{switcher.seed}/mix-in")
        wanted = (
            len(mix_records)
            if mix_in_fraction is None
            else round(mix_in_fraction / (1.0 - mix_in_fraction) * len(records))
        )
        if wanted > len(mix_records):
            raise ConfigError(
                f"mix_in_fraction={mix_in_fraction} needs {wanted} mix-in records but {mix_in} holds only"
                f" {len(mix_records)}; lower the fraction or add data"
            )
        chosen = [mix_records[k] for k in sorted(rng.sample(range(len(mix_records)), wanted))]
        summary.mixed_in = len(chosen)
        records = _interleave(records, chosen, rng)
    if out is not None:
        # streams to JSONL when nothing is mixed in
        write_records(records, out, output_format, overwrite=overwrite, inputs=inputs)
    else:
        summary.rows = list(records)
    summary.records += summary.mixed_in
    return summary
