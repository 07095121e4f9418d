"""Benchmark loaders: each benchmark's public file format from a local directory, or its public source by
name.

Local layouts (the formats the benchmarks are published in):

* ``mgsm``   ``mgsm_{lang}.tsv``: no header, ``question<TAB>answer`` (answers may carry thousands commas);
* ``msvamp`` ``test_{Language}.json``: JSON Lines with ``m_query`` and ``response`` (``"8.0"``);
* ``mmwp``   generic per-language files (the data is not public): ``{lang}.jsonl`` / ``mmwp_{lang}.jsonl``
  with ``question`` and ``answer`` fields, or ``{lang}.tsv`` / ``mmwp_{lang}.tsv`` as ``question<TAB>answer``;
* ``xnli``   XTREME layout ``{split}-{lang}.tsv``: ``premise<TAB>hypothesis<TAB>label``. The default split is
  ``test`` (5,010 pairs per language, the paper's 15 x 5,010 = 75,150), read locally when the test files carry
  labels; XTREME's ``test-{lang}.tsv`` have only 2 columns (premise, hypothesis), so with those the local
  default is ``dev`` (2,490 per language) and asking for ``test`` is an error naming the Hub alternative;
* ``xcsqa``  X-CSR layout ``{lang}/{split}.jsonl`` (or ``{split}-{lang}.jsonl``): ``question.stem``,
  ``question.choices[{label,text}]``, ``answerKey`` (default split ``dev``);
* ``tatoeba`` LASER layout ``tatoeba.{iso3}-eng.{iso3}`` and ``tatoeba.{iso3}-eng.eng``, line-aligned;
* ``sib200`` ``{lang_Script}/{train,dev,test}.tsv`` with header ``index_id<TAB>category<TAB>text`` (CSV
  quoting) and ``labels.txt``; languages are folder names (``swh_Latn``, ``yor_Latn``) or ISO codes with a
  Flores code (``sw``); results are keyed by the ISO code when the package knows the language, else by the
  folder name. A ``limit`` takes a seeded sample balanced over the 7 topics (:func:`stratified_sample`): the
  files are sorted by topic, so their first rows are one class.

With ``data_dir=None`` the files come from the public sources on the Hugging Face Hub (MGSM
``juletxara/mgsm``, MSVAMP ``Mathoctopus/MSVAMP``, XNLI ``facebook/xnli`` (labelled test split), X-CSQA
``INK-USC/xcsr``, Tatoeba ``mteb/tatoeba-bitext-mining``, SIB-200 ``Davlan/sib200``); tests never take that
path. :func:`resolve_split` says which split a run reads (the evaluator records it in the summary).
"""

from __future__ import annotations

import csv
import difflib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lingualift.data.prompts import NLI_LABELS, format_mcqa_input, format_nli_input
from lingualift.errors import ConfigError, InputDataError
from lingualift.evaluation.answers import parse_gold
from lingualift.evaluation.prompts import SIB200_INSTRUCTION, SIB200_LABELS
from lingualift.io_utils import iter_text_lines, read_jsonl
from lingualift.languages import (
    FLORES_CODES,
    LANGUAGES,
    MMWP_LANGUAGES,
    flores_code,
    flores_language_key,
    get_language,
    is_flores_code,
    languages_at_level,
)

XNLI_LABELS = NLI_LABELS  # XNLI integer labels 0, 1, 2 (shared with the stage-2 data builder)


@dataclass(frozen=True)
class Example:
    """One evaluation item. Math: ``answer`` is the gold number. Classification: ``choices`` + ``label``
    index."""

    id: str
    language: str
    question: str
    answer: float | None = None
    answer_text: str = ""
    choices: tuple[str, ...] = ()
    label: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark: task kind, languages, default split and its local / Hub loaders.

    Optional hooks for benchmarks whose languages are not a fixed list of ISO codes (SIB-200):
    ``language_key`` turns a user's code into the language key (validating it against the data directory, or
    None for the Hub), ``all_languages`` says what "all" means for a data directory, ``subset`` takes a
    ``limit``-sized sample (``(examples, size, seed)``) instead of the first rows. ``local_default_split``
    picks the default split of a data directory for some languages when it differs from ``default_split``
    (XNLI: ``dev`` where the local test files carry no labels).
    """

    name: str
    task: str  # "math" | "classification" | "retrieval"
    languages: tuple[str, ...]
    default_split: str
    load_local: Callable[[Path, str, str], list[Example]]
    load_hub: Callable[[str, str], list[Example]] | None
    description: str
    language_key: Callable[[str, Path | None], str] | None = None
    all_languages: Callable[[Path | None], list[str]] | None = None
    subset: Callable[[Sequence[Example], int, int], list[Example]] | None = None
    local_default_split: Callable[[Path, Sequence[str]], str] | None = None


# ----------------------------------------------------------------------------------------------- file parsers


def _require_file(path: Path, benchmark: str) -> Path:
    if not path.is_file():
        siblings = sorted(p.name for p in path.parent.glob("*"))[:12] if path.parent.is_dir() else []
        where = (
            f"; the directory holds: {', '.join(siblings)}" if siblings else "; the directory does not exist"
        )
        raise InputDataError(f"{benchmark}: data file not found: {path}{where}")
    return path


def _math_example(benchmark: str, lang: str, index: int, question: str, answer: Any, where: str) -> Example:
    if not str(question).strip():
        raise InputDataError(f"{where}: empty question")
    try:
        gold = parse_gold(answer, source=where)
    except ValueError as exc:
        raise InputDataError(f"{exc} (field 'answer': expected a number)") from None
    return Example(
        id=f"{benchmark}-{lang}-{index}",
        language=lang,
        question=str(question).strip(),
        answer=gold,
        answer_text=str(answer).strip(),
    )


def parse_question_answer_tsv(path: Path, benchmark: str, lang: str) -> list[Example]:
    """``question<TAB>answer`` lines without header (MGSM's format; MMWP's TSV variant)."""
    examples = []
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise InputDataError(
                f"{path}:{number}: expected 2 tab-separated columns (question, answer), got {len(parts)}"
            )
        examples.append(_math_example(benchmark, lang, len(examples), parts[0], parts[1], f"{path}:{number}"))
    if not examples:
        raise InputDataError(f"{path}: no examples")
    return examples


def parse_math_jsonl(
    path: Path, benchmark: str, lang: str, question_field: str, answer_field: str
) -> list[Example]:
    """JSON Lines math problems with the given question/answer field names (MSVAMP, MMWP)."""
    records = read_jsonl(path, required_fields=(question_field, answer_field))
    if not records:
        raise InputDataError(f"{path}: no examples")
    return [
        _math_example(benchmark, lang, i, rec[question_field], rec[answer_field], f"{path}: record {i + 1}")
        for i, rec in enumerate(records)
    ]


XNLI_UNLABELLED_HINT = (
    "XTREME's test-{lang}.tsv files carry no labels (2 columns: premise, hypothesis), so their accuracy"
    " cannot be computed: use split 'dev' with this directory, or the Hub's labelled test split"
    " (facebook/xnli, data_dir=None / no --data-dir)"
)


def parse_xnli_tsv(path: Path, lang: str) -> list[Example]:
    """XTREME-layout XNLI: ``premise<TAB>hypothesis<TAB>label``, label entailment/neutral/contradiction."""
    examples = []
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            hint = f" ({XNLI_UNLABELLED_HINT.format(lang=lang)})" if len(parts) == 2 else ""
            raise InputDataError(
                f"{path}:{number}: expected 3 tab-separated columns (premise, hypothesis, label),"
                f" got {len(parts)}{hint}"
            )
        premise, hypothesis, label = (p.strip() for p in parts)
        if label not in XNLI_LABELS:
            raise InputDataError(
                f"{path}:{number}: label must be one of {', '.join(XNLI_LABELS)}, got {label!r}"
            )
        examples.append(_xnli_example(lang, len(examples), premise, hypothesis, XNLI_LABELS.index(label)))
    if not examples:
        raise InputDataError(f"{path}: no examples")
    return examples


def _xnli_example(lang: str, index: int, premise: str, hypothesis: str, label: int) -> Example:
    return Example(
        id=f"xnli-{lang}-{index}",
        language=lang,
        question=format_nli_input(premise, hypothesis),
        choices=XNLI_LABELS,
        label=label,
        answer_text=XNLI_LABELS[label],
        fields={"premise": premise, "hypothesis": hypothesis},
    )


def xcsqa_example(record: dict[str, Any], lang: str, index: int, where: str) -> Example:
    """One X-CSQA record (``question.stem``, ``question.choices``, ``answerKey``) → Example; errors name the
    field."""
    question = record.get("question")
    if not isinstance(question, dict) or "stem" not in question or "choices" not in question:
        raise InputDataError(f"{where}: field 'question' must be an object with 'stem' and 'choices'")
    choices = question["choices"]
    if isinstance(choices, dict):  # HF parquet form: {"label": [...], "text": [...]}
        choices = [
            {"label": lab, "text": txt} for lab, txt in zip(choices.get("label", []), choices.get("text", []))
        ]
    if (
        not isinstance(choices, list)
        or len(choices) < 2
        or not all(isinstance(c, dict) and "label" in c and "text" in c for c in choices)
    ):
        raise InputDataError(
            f"{where}: field 'question.choices' must be a list of {{label, text}} objects (>= 2)"
        )
    labels = [str(c["label"]) for c in choices]
    key = record.get("answerKey")
    if key not in labels:
        raise InputDataError(f"{where}: field 'answerKey' must be one of {', '.join(labels)}, got {key!r}")
    return Example(
        id=str(record.get("id", f"xcsqa-{lang}-{index}")),
        language=lang,
        question=format_mcqa_input(question["stem"], [(c["label"], c["text"]) for c in choices]),
        choices=tuple(labels),
        label=labels.index(key),
        answer_text=key,
        fields={"stem": question["stem"], "choice_texts": [c["text"] for c in choices]},
    )


def parse_xcsqa_jsonl(path: Path, lang: str) -> list[Example]:
    """X-CSQA JSON Lines (X-CSR release format)."""
    records = read_jsonl(path, required_fields=("question", "answerKey"))
    if not records:
        raise InputDataError(f"{path}: no examples")
    return [xcsqa_example(rec, lang, i, f"{path}: record {i + 1}") for i, rec in enumerate(records)]


# ------------------------------------------------------------------------------------------- local loaders


def _local_mgsm(data_dir: Path, lang: str, split: str) -> list[Example]:
    return parse_question_answer_tsv(_require_file(data_dir / f"mgsm_{lang}.tsv", "mgsm"), "mgsm", lang)


def _local_msvamp(data_dir: Path, lang: str, split: str) -> list[Example]:
    path = _require_file(data_dir / f"test_{get_language(lang).msvamp}.json", "msvamp")
    return parse_math_jsonl(path, "msvamp", lang, "m_query", "response")


def _local_mmwp(data_dir: Path, lang: str, split: str) -> list[Example]:
    stems = [f"{lang}", f"mmwp_{lang}", f"{split}_{lang}", f"{lang}/{split}"]
    for stem in stems:
        if (data_dir / f"{stem}.jsonl").is_file():
            return parse_math_jsonl(data_dir / f"{stem}.jsonl", "mmwp", lang, "question", "answer")
        if (data_dir / f"{stem}.tsv").is_file():
            return parse_question_answer_tsv(data_dir / f"{stem}.tsv", "mmwp", lang)
    tried = ", ".join(f"{s}.jsonl|.tsv" for s in stems)
    raise InputDataError(f"mmwp: no data file for language {lang!r} in {data_dir} (tried {tried})")


def _local_xnli(data_dir: Path, lang: str, split: str) -> list[Example]:
    return parse_xnli_tsv(_require_file(data_dir / f"{split}-{lang}.tsv", "xnli"), lang)


def xnli_file_has_labels(path: Path) -> bool:
    """Whether an XTREME-layout XNLI file has a label column (its first non-empty line has 3 columns)."""
    for _, line in iter_text_lines(path):
        if line.strip():
            return len(line.split("\t")) == 3
    return False


def _local_xnli_default_split(data_dir: Path, languages: Sequence[str]) -> str:
    """``test`` when every language's ``test-{lang}.tsv`` exists with labels, else ``dev`` (XTREME's test
    files have no labels)."""
    for lang in languages:
        path = data_dir / f"test-{lang}.tsv"
        if not (path.is_file() and xnli_file_has_labels(path)):
            return "dev"
    return "test"


def _local_xcsqa(data_dir: Path, lang: str, split: str) -> list[Example]:
    for candidate in (data_dir / lang / f"{split}.jsonl", data_dir / f"{split}-{lang}.jsonl"):
        if candidate.is_file():
            return parse_xcsqa_jsonl(candidate, lang)
    raise InputDataError(
        f"xcsqa: data file not found: {data_dir / lang / f'{split}.jsonl'}"
        f" (or {data_dir / f'{split}-{lang}.jsonl'})"
    )


def load_tatoeba_pairs(
    data_dir: Path | None, lang: str, limit: int | None = None
) -> tuple[list[str], list[str]]:
    """Line-aligned Tatoeba pairs ``(sentences in lang, English translations)`` from LASER's layout or the
    Hub."""
    iso3 = get_language(lang).tatoeba
    if iso3 is None:
        raise ConfigError(f"tatoeba: no Tatoeba test set for language {lang!r} (English is the pivot)")
    if data_dir is None:
        rows = _hub_dataset("mteb/tatoeba-bitext-mining", f"{iso3}-eng", "test")
        source, english = [r["sentence1"] for r in rows], [r["sentence2"] for r in rows]
    else:
        data_dir = Path(data_dir)
        src_path = _require_file(data_dir / f"tatoeba.{iso3}-eng.{iso3}", "tatoeba")
        eng_path = _require_file(data_dir / f"tatoeba.{iso3}-eng.eng", "tatoeba")
        source = [line for _, line in iter_text_lines(src_path)]
        english = [line for _, line in iter_text_lines(eng_path)]
        if len(source) != len(english):
            raise InputDataError(
                f"tatoeba: {src_path} has {len(source)} lines but {eng_path} has {len(english)};"
                " they must be aligned"
            )
    if not source:
        raise InputDataError(f"tatoeba: no sentence pairs for {lang!r}")
    return (source[:limit], english[:limit]) if limit else (source, english)


def _local_tatoeba(data_dir: Path, lang: str, split: str) -> list[Example]:
    source, english = load_tatoeba_pairs(data_dir, lang)
    return [
        Example(id=f"tatoeba-{lang}-{i}", language=lang, question=s, answer_text=e)
        for i, (s, e) in enumerate(zip(source, english))
    ]


# --------------------------------------------------------------------------------------------- Hub loaders


def _hub_dataset(repo: str, config: str | None, split: str) -> list[dict[str, Any]]:
    import datasets

    try:
        return list(datasets.load_dataset(repo, config, split=split))
    except Exception as exc:  # network, unknown config, ...: say which source failed
        raise InputDataError(
            f"could not load {repo} ({config or 'default'}, split {split}) from the Hub: {exc}"
        ) from exc


def _hub_file(repo: str, filename: str) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id=repo, filename=filename, repo_type="dataset"))
    except Exception as exc:
        raise InputDataError(f"could not download {filename} from the Hub dataset {repo}: {exc}") from exc


def _hub_mgsm(lang: str, split: str) -> list[Example]:
    return parse_question_answer_tsv(_hub_file("juletxara/mgsm", f"mgsm_{lang}.tsv"), "mgsm", lang)


def _hub_msvamp(lang: str, split: str) -> list[Example]:
    path = _hub_file("Mathoctopus/MSVAMP", f"test_{get_language(lang).msvamp}.json")
    return parse_math_jsonl(path, "msvamp", lang, "m_query", "response")


def _hub_xnli(lang: str, split: str) -> list[Example]:
    hf_split = {"dev": "validation"}.get(split, split)
    return [
        _xnli_example(lang, i, r["premise"], r["hypothesis"], int(r["label"]))
        for i, r in enumerate(_hub_dataset("facebook/xnli", lang, hf_split))
    ]


def _hub_xcsqa(lang: str, split: str) -> list[Example]:
    hf_split = {"dev": "validation"}.get(split, split)
    config = f"X-CSQA-{'jap' if lang == 'ja' else lang}"
    rows = _hub_dataset("INK-USC/xcsr", config, hf_split)
    return [xcsqa_example(r, lang, i, f"INK-USC/xcsr {config} row {i}") for i, r in enumerate(rows)]


def _hub_tatoeba(lang: str, split: str) -> list[Example]:
    source, english = load_tatoeba_pairs(None, lang)
    return [
        Example(id=f"tatoeba-{lang}-{i}", language=lang, question=s, answer_text=e)
        for i, (s, e) in enumerate(zip(source, english))
    ]


# ------------------------------------------------------------------------------------------------ SIB-200

SIB200_REPO = "Davlan/sib200"
SIB200_SPLITS = ("train", "dev", "test")
SIB200_HEADER = ("index_id", "category", "text")
SIB200_LANGUAGES = tuple(code for code in LANGUAGES if code in FLORES_CODES)  # what "all" means on the Hub


def sib200_split(split: str) -> str:
    """The canonical SIB-200 split ``train``, ``dev`` or ``test`` (the Hub's ``validation`` is ``dev``)."""
    name = "dev" if split == "validation" else split
    if name not in SIB200_SPLITS:
        raise ConfigError(f"sib200: unknown split {split!r}; expected one of {', '.join(SIB200_SPLITS)}")
    return name


def sib200_folders(data_dir: str | Path) -> list[str]:
    """The language folders (``{lang_Script}``) of a SIB-200 directory, sorted."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputDataError(f"sib200: data directory not found: {data_dir}")
    return sorted(p.name for p in data_dir.iterdir() if p.is_dir() and is_flores_code(p.name))


def sib200_languages(data_dir: str | Path | None = None, level: str | None = None) -> dict[str, str]:
    """The package's known languages that SIB-200 has in ``data_dir`` (all of them for the Hub, ``None``), as
    ``{ISO code: folder}`` in the metadata order (LR, MR, HR, then the rest); ``level`` keeps one resource
    level.

    Example: ``list(sib200_languages("data/sib200", level="LR"))`` -> ``["af", "ar", "be", ...]``.
    """
    wanted = set(languages_at_level(level)) if level is not None else set(SIB200_LANGUAGES)
    present = set(sib200_folders(data_dir)) if data_dir is not None else None
    return {
        code: FLORES_CODES[code]
        for code in SIB200_LANGUAGES
        if code in wanted and (present is None or FLORES_CODES[code] in present)
    }


def _sib200_folder(data_dir: Path, key: str, asked: str) -> Path:
    """``data_dir/{folder of key}``; a missing folder names it and lists similar, then other, folders."""
    folder = flores_code(key)
    if (data_dir / folder).is_dir():
        return data_dir / folder
    available = sib200_folders(data_dir)
    if not available:
        raise InputDataError(
            f"sib200: no folder {folder} in {data_dir} (language {asked!r}), and no language folders at all"
            " there (expected DIR/{lang_Script}/{train,dev,test}.tsv)"
        )
    script = folder.split("_", 1)[1]
    similar = [f for f in available if f.startswith(folder[:3]) or f.endswith(f"_{script}")]
    similar += difflib.get_close_matches(folder, available, n=4, cutoff=0.6)
    shown = list(dict.fromkeys(similar + available))[:10]
    raise InputDataError(
        f"sib200: no folder {folder} in {data_dir} (language {asked!r}); {len(available)} language folders"
        f" there, e.g. {', '.join(shown)}"
    )


def _sib200_language_key(code: str, data_dir: Path | None) -> str:
    """A folder name or ISO code -> the language key (ISO code when known, else the folder name)."""
    if code in FLORES_CODES:
        key = code
    elif is_flores_code(code):
        key = flores_language_key(code)
    else:
        raise ConfigError(
            f"sib200: language {code!r} is neither a SIB-200 folder name (ISO 639-3 + script, like swh_Latn"
            f" or yor_Latn) nor an ISO 639-1 code with a known Flores-200 code"
            f" ({', '.join(SIB200_LANGUAGES)})"
        )
    if data_dir is not None:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise InputDataError(f"sib200: data directory not found: {data_dir}")
        _sib200_folder(data_dir, key, code)
    return key


def _sib200_all_languages(data_dir: Path | None) -> list[str]:
    if data_dir is None:
        return list(SIB200_LANGUAGES)
    return [flores_language_key(folder) for folder in sib200_folders(data_dir)]


def _sib200_example(lang: str, index_id: Any, category: Any, text: Any, where: str) -> Example:
    try:
        index = int(str(index_id).strip())
    except ValueError:
        raise InputDataError(f"{where}: field 'index_id' must be an integer, got {index_id!r}") from None
    category = str(category).strip()
    if category not in SIB200_LABELS:
        raise InputDataError(
            f"{where}: field 'category' must be one of {', '.join(SIB200_LABELS)}, got {category!r}"
        )
    text = str(text).strip() if text is not None else ""
    if not text:
        raise InputDataError(f"{where}: field 'text' is empty")
    return Example(
        id=f"sib200-{lang}-{index}",
        language=lang,
        question=text,
        choices=SIB200_LABELS,
        label=SIB200_LABELS.index(category),
        answer_text=category,
        fields={"index_id": index, "category": category},
    )


def _check_unique(examples: list[Example], source: str) -> list[Example]:
    seen: set[int] = set()
    for ex in examples:
        if ex.fields["index_id"] in seen:
            raise InputDataError(f"{source}: index_id {ex.fields['index_id']} occurs twice")
        seen.add(ex.fields["index_id"])
    if not examples:
        raise InputDataError(f"{source}: no examples")
    return examples


def parse_sib200_tsv(path: Path, lang: str) -> list[Example]:
    """A SIB-200 split file: header ``index_id<TAB>category<TAB>text``, then one row per sentence; a text
    holding quotes is CSV-quoted (``"..."`` with doubled inner quotes), as pandas writes it."""
    examples = []
    for number, line in iter_text_lines(path):
        if number == 1:
            header = tuple(column.strip() for column in line.lstrip("\ufeff").split("\t"))
            if header != SIB200_HEADER:
                raise InputDataError(
                    f"{path}:1: expected the header 'index_id<TAB>category<TAB>text', got {line[:80]!r}"
                )
            continue
        if not line.strip():
            continue
        try:
            columns = next(csv.reader([line], delimiter="\t", strict=True))
        except csv.Error as exc:
            raise InputDataError(f"{path}:{number}: malformed CSV quoting in the text ({exc})") from None
        if len(columns) != 3:
            raise InputDataError(
                f"{path}:{number}: expected 3 tab-separated columns (index_id, category, text),"
                f" got {len(columns)}"
            )
        examples.append(_sib200_example(lang, *columns, where=f"{path}:{number}"))
    return _check_unique(examples, str(path))


def _check_sib200_labels(data_dir: Path) -> None:
    """``labels.txt``, when present, must hold the 7 labels the prompt lists (any order)."""
    path = data_dir / "labels.txt"
    if not path.is_file():
        return
    labels = [line.strip() for _, line in iter_text_lines(path) if line.strip()]
    if sorted(labels) != sorted(SIB200_LABELS):
        raise InputDataError(
            f"{path}: expected the 7 SIB-200 labels ({', '.join(SIB200_LABELS)}), got {', '.join(labels)}"
        )


def _local_sib200(data_dir: Path, lang: str, split: str) -> list[Example]:
    folder = _sib200_folder(data_dir, lang, lang)
    _check_sib200_labels(data_dir)
    return parse_sib200_tsv(_require_file(folder / f"{sib200_split(split)}.tsv", "sib200"), lang)


def _hub_sib200(lang: str, split: str) -> list[Example]:
    config, hf_split = flores_code(lang), {"dev": "validation"}.get(sib200_split(split), split)
    source = f"{SIB200_REPO} {config} {hf_split}"
    examples = []
    for i, row in enumerate(_hub_dataset(SIB200_REPO, config, hf_split)):
        missing = [name for name in SIB200_HEADER if name not in row]
        if missing:
            raise InputDataError(
                f"{source} row {i}: missing field {missing[0]!r}; the row has: {', '.join(row)}"
            )
        examples.append(
            _sib200_example(lang, row["index_id"], row["category"], row["text"], f"{source} row {i}")
        )
    return _check_unique(examples, source)


def stratified_sample(examples: Sequence[Example], size: int, seed: int = 0) -> list[Example]:
    """A seeded sample of ``size`` examples balanced over their labels (``answer_text``), kept in input order.

    Every label gets an equal share; a label with too few examples leaves the rest of its share to the others,
    and the remainder of the division goes to labels chosen with the seed. Inside a label, examples are
    drawn from a seeded shuffle of their ``index_id`` order, so a seed and size pick the same items in every
    language of a parallel benchmark (SIB-200: translations of each other) whatever the order of the files.
    ``size`` >= the number of examples returns them all.
    """
    if size < 1:
        raise ConfigError(f"limit must be >= 1, got {size}")
    if size >= len(examples):
        return list(examples)
    strata: dict[str, list[Example]] = {}
    for ex in examples:
        strata.setdefault(ex.answer_text, []).append(ex)
    pools = {}
    for label, members in sorted(strata.items()):
        members = sorted(members, key=lambda ex: (ex.fields.get("index_id", 0), ex.id))
        random.Random(f"{seed}/{label}").shuffle(members)
        pools[label] = members
    quota = dict.fromkeys(pools, 0)
    remaining = size
    while remaining:
        open_labels = [label for label in pools if quota[label] < len(pools[label])]
        share = remaining // len(open_labels)
        if share == 0:  # fewer items left than labels: the seed picks which labels get one more
            for label in random.Random(f"{seed}/remainder").sample(open_labels, remaining):
                quota[label] += 1
            break
        for label in open_labels:
            take = min(share, len(pools[label]) - quota[label])
            quota[label] += take
            remaining -= take
    chosen = {ex.id for label, pool in pools.items() for ex in pool[: quota[label]]}
    return [ex for ex in examples if ex.id in chosen]


MGSM_LANGUAGES = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")
MSVAMP_LANGUAGES = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "th", "zh")
XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
XCSQA_LANGUAGES = (
    "en",
    "zh",
    "de",
    "es",
    "fr",
    "it",
    "ja",
    "nl",
    "pl",
    "pt",
    "ru",
    "ar",
    "vi",
    "hi",
    "sw",
    "ur",
)
TATOEBA_LANGUAGES = tuple(code for code in (*MMWP_LANGUAGES, "el", "tr", "ur") if get_language(code).tatoeba)

BENCHMARKS: dict[str, BenchmarkSpec] = {
    spec.name: spec
    for spec in (
        BenchmarkSpec(
            "mgsm",
            "math",
            MGSM_LANGUAGES,
            "test",
            _local_mgsm,
            _hub_mgsm,
            "MGSM: 250 grade-school math problems in 11 languages",
        ),
        BenchmarkSpec(
            "msvamp",
            "math",
            MSVAMP_LANGUAGES,
            "test",
            _local_msvamp,
            _hub_msvamp,
            "MSVAMP: 1000 SVAMP problems in 10 languages",
        ),
        BenchmarkSpec(
            "mmwp",
            "math",
            MMWP_LANGUAGES,
            "test",
            _local_mmwp,
            None,
            "MMWP: multilingual math word problems in 48 languages (local files only; not public)",
        ),
        BenchmarkSpec(
            "xnli",
            "classification",
            XNLI_LANGUAGES,
            "test",
            _local_xnli,
            _hub_xnli,
            "XNLI: natural language inference in 15 languages (test: 5,010 pairs each)",
            local_default_split=_local_xnli_default_split,
        ),
        BenchmarkSpec(
            "xcsqa",
            "classification",
            XCSQA_LANGUAGES,
            "dev",
            _local_xcsqa,
            _hub_xcsqa,
            "X-CSQA: 5-way commonsense QA in 16 languages",
        ),
        BenchmarkSpec(
            "tatoeba",
            "retrieval",
            TATOEBA_LANGUAGES,
            "test",
            _local_tatoeba,
            _hub_tatoeba,
            "Tatoeba: parallel sentences for xx->en retrieval",
        ),
        BenchmarkSpec(
            "sib200",
            "classification",
            SIB200_LANGUAGES,
            "test",
            _local_sib200,
            _hub_sib200,
            "SIB-200: 7-topic classification of Flores-200 sentences in 205 languages (folders as codes)",
            language_key=_sib200_language_key,
            all_languages=_sib200_all_languages,
            subset=stratified_sample,
        ),
    )
}


def get_benchmark(name: str) -> BenchmarkSpec:
    """The spec of a benchmark by name (case-insensitive, ``x-csqa`` accepted); unknown names list the known
    ones."""
    key = name.lower().replace("-", "").replace("_", "")
    if key not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {name!r}; known benchmarks: {', '.join(BENCHMARKS)}")
    return BENCHMARKS[key]


def resolve_languages(
    spec: BenchmarkSpec, languages: Sequence[str] | str | None, data_dir: str | Path | None = None
) -> list[str]:
    """Validate a language list (or comma string) against a benchmark; ``None``/``all`` means all of them.

    Returns the language keys results are reported under. SIB-200 takes folder names or ISO codes, checked
    against ``data_dir`` when given (``swh_Latn`` -> ``sw``; ``yor_Latn`` stays ``yor_Latn``), and "all" means
    every language folder of ``data_dir``.
    """
    data_dir = Path(data_dir) if data_dir is not None else None
    if languages is None or languages == "all" or list(languages) == ["all"]:
        return spec.all_languages(data_dir) if spec.all_languages else list(spec.languages)
    if isinstance(languages, str):
        languages = [code.strip() for code in languages.split(",") if code.strip()]
    if not languages:
        raise ConfigError(f"{spec.name}: empty language list")
    if spec.language_key is not None:
        return list(dict.fromkeys(spec.language_key(code, data_dir) for code in languages))
    for code in languages:
        get_language(code)
        if code not in spec.languages:
            raise ConfigError(
                f"{spec.name}: language {code!r} is not in this benchmark;"
                f" its languages: {', '.join(spec.languages)}"
            )
    return list(dict.fromkeys(languages))


def resolve_split(
    spec: BenchmarkSpec | str,
    split: str | None,
    data_dir: str | Path | None = None,
    languages: Sequence[str] = (),
) -> str:
    """The split a run reads: ``split`` when given, else the benchmark's default for this source.

    The default is ``spec.default_split`` (XNLI: ``test``, the paper's 5,010 pairs per language) except in a
    data directory whose files call for another (XNLI in the XTREME layout, whose test files carry no labels:
    ``dev`` unless every one of ``languages`` has a labelled ``test-{lang}.tsv``).
    """
    spec = get_benchmark(spec) if isinstance(spec, str) else spec
    if split:
        return split
    if data_dir is not None and spec.local_default_split is not None and Path(data_dir).is_dir():
        return spec.local_default_split(Path(data_dir), list(languages))
    return spec.default_split


def load_benchmark(
    name: str,
    language: str,
    data_dir: str | Path | None = None,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[Example]:
    """Examples of one benchmark language, from ``data_dir`` (public file format) or the Hub when it is None.

    ``limit``: the first N examples, or for SIB-200 a seeded sample balanced over the topics
    (:func:`stratified_sample` with ``seed``; the same items in every language). ``split``: default
    :func:`resolve_split` (XNLI: test from the Hub, dev from an XTREME directory without test labels).
    """
    spec = get_benchmark(name)
    [language] = resolve_languages(spec, [language], data_dir)
    split = resolve_split(spec, split, data_dir, [language])
    if data_dir is None:
        if spec.load_hub is None:
            raise ConfigError(
                f"{spec.name}: no public source to download from; pass --data-dir with local files"
            )
        examples = spec.load_hub(language, split)
    else:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise InputDataError(f"{spec.name}: data directory not found: {data_dir}")
        examples = spec.load_local(data_dir, language, split)
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"limit must be >= 1, got {limit}")
        examples = spec.subset(examples, limit, seed) if spec.subset else examples[:limit]
    return examples


def sib200_training_records(
    data_dir: str | Path | None,
    lang: str = "eng_Latn",
    split: str = "train",
    limit: int | None = None,
    seed: int = 0,
    shuffle: bool = True,
) -> list[dict[str, str]]:
    """Stage-2 training records of one SIB-200 language split, in the prompt evaluation scores labels under.

    Records are ``{id, instruction, input, output, lang, task}`` (what
    ``lingualift.training.data.load_records`` reads): instruction :data:`SIB200_INSTRUCTION`, the sentence
    as input (encoder side), the label name as output. ``limit`` takes the topic-balanced sample of
    :func:`stratified_sample`; ``shuffle`` (seeded) mixes the topics, since the files are sorted by topic
    and a reader taking the first N rows would see one class.
    The test split is refused: its sentences are the test items of every language. Write them with
    ``lingualift.data.sources.write_records(records, "sib200_en.jsonl")``.
    """
    if sib200_split(split) == "test":
        raise ConfigError(
            "sib200: refusing to build training records from the test split (its sentences are the test items"
            " in every language); use split='train' (or 'dev')"
        )
    examples = load_benchmark("sib200", lang, data_dir, split=split, limit=limit, seed=seed)
    records = [
        {
            "id": ex.id,
            "instruction": SIB200_INSTRUCTION,
            "input": ex.question,
            "output": ex.answer_text,
            "lang": ex.language,
            "task": "sib200",
        }
        for ex in examples
    ]
    if shuffle:
        random.Random(f"{seed}/sib200-train").shuffle(records)
    return records


def example_to_json(example: Example) -> dict[str, Any]:
    """A JSON-serialisable view of an example (for prediction files)."""
    return json.loads(
        json.dumps({k: v for k, v in example.__dict__.items() if k != "fields"}, ensure_ascii=False)
    )
