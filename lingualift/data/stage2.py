"""Stage-2 (task transfer) datasets from English task data in its public formats, with the shared prompts.

Tasks: ``gsm8k`` (``question``/``answer`` ending in ``#### N``), ``metamathqa`` (``query``/``response`` ending
in ``The answer is: N``), ``openmathinstruct2`` (``problem``/``generated_solution`` with ``\\boxed{...}``/
``expected_answer``), ``nli`` (MultiNLI/XNLI: premise/hypothesis or sentence1/sentence2, label int or
word, or XTREME TSV), ``mcqa`` (X-CSQA/CommonsenseQA/ARC/OpenBookQA/QASC, JSONL or HF layouts). Records are
``{"id", "instruction", "input", "output", "lang", "task"}`` with the task input on the encoder side.

Parallel-language mixtures (English + translated copies of the same task data, for the parallel-training
studies) come from ``parallel={"fr": path_or_records, ...}``.

Usage::

    summary = build_stage2_dataset("gsm8k", "gsm8k/train.jsonl", "stage2.jsonl")
    build_stage2_dataset("metamathqa", "meta-math/MetaMathQA", "metamath.jsonl")  # a Hub dataset by name
    build_stage2_dataset("openmathinstruct2", "nvidia/OpenMathInstruct-2:train_1M", "o.jsonl", limit=200_000)
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lingualift.data.prompts import (
    MATH_INSTRUCTION,
    MCQA_INSTRUCTION,
    NLI_INSTRUCTION,
    NLI_LABELS,
    format_math_response,
    format_mcqa_input,
    format_nli_input,
)
from lingualift.data.sources import check_records_output, iter_records, write_records
from lingualift.errors import ConfigError, InputDataError
from lingualift.io_utils import path_inputs

Source = str | os.PathLike | Iterable[Mapping[str, Any]]
# a converter returns (instruction, input, output), or None to skip an unusable record (e.g. no gold label)
Converter = Callable[[dict[str, Any], str], tuple[str, str, str] | None]

_CALCULATOR = re.compile(r"<<[^<>]*>>")
_METAMATH_ANSWER = re.compile(r"The answer is:?\s*(?P<answer>.+?)\s*\.?\s*$", re.DOTALL)


def _text(record: dict[str, Any], key: str, where: str) -> str:
    if key not in record:
        raise InputDataError(
            f"{where}: missing field {key!r}; the record has: {', '.join(record) or 'no fields'}"
        )
    value = record[key]
    if not isinstance(value, str) or not value.strip():
        raise InputDataError(f"{where}: field {key!r} must be a non-empty string, got {value!r:.60}")
    return value.strip()


def _first_present(record: dict[str, Any], keys: tuple[str, ...], where: str) -> str:
    for key in keys:
        if key in record:
            return _text(record, key, where)
    raise InputDataError(
        f"{where}: missing field {' or '.join(map(repr, keys))}; the record has: {', '.join(record)}"
    )


def convert_gsm8k(record: dict[str, Any], where: str) -> tuple[str, str, str]:
    """GSM8K: drop ``<<calc>>`` annotations, turn ``#### N`` into the closing ``The answer is N.``"""
    question = _text(record, "question", where)
    answer = _text(record, "answer", where)
    reasoning, sep, final = answer.rpartition("####")
    final = final.strip().replace(",", "")
    if not sep or not final:
        raise InputDataError(
            f"{where}: field 'answer' must end with '#### <number>' (GSM8K format), got ...{answer[-40:]!r}"
        )
    return MATH_INSTRUCTION, question, format_math_response(_CALCULATOR.sub("", reasoning), final)


def convert_metamathqa(record: dict[str, Any], where: str) -> tuple[str, str, str]:
    """MetaMathQA: ``query`` -> ``response`` with its final ``The answer is: N`` normalised to
    ``The answer is N.``"""
    query = _text(record, "query", where)
    response = _text(record, "response", where)
    marker = response.rfind("The answer is")
    match = _METAMATH_ANSWER.match(response, marker) if marker >= 0 else None
    if match is None:
        raise InputDataError(
            f"{where}: field 'response' must end with 'The answer is: <answer>', got ...{response[-40:]!r}"
        )
    return MATH_INSTRUCTION, query, format_math_response(response[:marker], match["answer"])


def _unbox(text: str) -> str:
    """``\\boxed{x}`` -> ``x`` (balanced braces), every occurrence; the answer is stated in words instead."""
    out, start = [], 0
    while (begin := text.find("\\boxed{", start)) >= 0:
        depth, end = 0, begin + len("\\boxed")
        for end in range(begin + len("\\boxed"), len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        if depth:  # unbalanced: leave the rest as it is
            break
        out += [text[start:begin], text[begin + len("\\boxed{") : end]]
        start = end + 1
    return "".join(out) + text[start:]


def convert_openmathinstruct2(record: dict[str, Any], where: str) -> tuple[str, str, str]:
    """OpenMathInstruct-2: ``problem`` -> ``generated_solution`` (its ``\\boxed{}`` unwrapped) closed by
    ``The answer is {expected_answer}.``, the format the other math tasks and the evaluator share."""
    problem = _text(record, "problem", where)
    solution = _text(record, "generated_solution", where)
    answer = _text(record, "expected_answer", where).strip()
    if not answer:
        raise InputDataError(f"{where}: field 'expected_answer' is empty")
    return MATH_INSTRUCTION, problem, format_math_response(_unbox(solution), answer)


_NLI_ALIASES = {"contradictory": "contradiction", "entails": "entailment", "neutral": "neutral"}


def convert_nli(record: dict[str, Any], where: str) -> tuple[str, str, str] | None:
    """MultiNLI/XNLI (HF ints 0/1/2, words, ``gold_label``) or XTREME TSV rows; unlabelled rows are
    skipped."""
    if "columns" in record:  # header-less TSV: premise, hypothesis, label
        columns = record["columns"]
        if len(columns) != 3:
            raise InputDataError(
                f"{where}: expected 3 tab-separated columns (premise, hypothesis, label), got {len(columns)}"
            )
        record = dict(zip(("premise", "hypothesis", "label"), columns))
    premise = _first_present(record, ("premise", "sentence1"), where)
    hypothesis = _first_present(record, ("hypothesis", "sentence2"), where)
    label = record.get("label", record.get("gold_label"))
    if label is None:
        raise InputDataError(
            f"{where}: missing field 'label' (or 'gold_label'); the record has: {', '.join(record)}"
        )
    if isinstance(label, str) and label.strip().lstrip("-").isdigit():
        label = int(label)
    if isinstance(label, int) and not isinstance(label, bool):
        if label == -1:
            return None
        if label not in (0, 1, 2):
            raise InputDataError(
                f"{where}: field 'label' must be 0, 1, 2 (or -1 for unlabelled), got {label}"
            )
        word = NLI_LABELS[label]
    else:
        word = _NLI_ALIASES.get(str(label).strip().lower(), str(label).strip().lower())
        if word in ("-", ""):
            return None
        if word not in NLI_LABELS:
            raise InputDataError(
                f"{where}: field 'label' must be one of {', '.join(NLI_LABELS)}, got {label!r}"
            )
    return NLI_INSTRUCTION, format_nli_input(premise, hypothesis), word


def convert_mcqa(record: dict[str, Any], where: str) -> tuple[str, str, str]:
    """Multiple-choice QA: ``question`` (string, or ``{stem, choices}``) or ``question_stem``; ``choices`` as
    a list of ``{label, text}`` or HF ``{label: [...], text: [...]}``; ``answerKey`` the correct label."""
    question = record.get("question")
    choices = record.get("choices")
    if isinstance(question, dict):
        stem = _text(question, "stem", f"{where}: field 'question'")
        choices = question.get("choices", choices)
    elif "question_stem" in record:
        stem = _text(record, "question_stem", where)
    else:
        stem = _text(record, "question", where)
    if isinstance(choices, dict):
        choices = [
            {"label": lab, "text": txt} for lab, txt in zip(choices.get("label", []), choices.get("text", []))
        ]
    if (
        not isinstance(choices, list)
        or len(choices) < 2
        or not all(isinstance(c, dict) and "label" in c and "text" in c for c in choices)
    ):
        raise InputDataError(
            f"{where}: field 'choices' must hold >= 2 {{label, text}} options, got {choices!r:.80}"
        )
    options = [(str(c["label"]).strip(), str(c["text"]).strip()) for c in choices]
    labels = [label for label, _ in options]
    key = str(record.get("answerKey", "")).strip()
    if key not in labels:
        raise InputDataError(
            f"{where}: field 'answerKey' must be one of {', '.join(labels)}, got {record.get('answerKey')!r}"
        )
    return MCQA_INSTRUCTION, format_mcqa_input(stem, options), key


TASKS: dict[str, Converter] = {
    "gsm8k": convert_gsm8k,
    "metamathqa": convert_metamathqa,
    "openmathinstruct2": convert_openmathinstruct2,
    "nli": convert_nli,
    "mcqa": convert_mcqa,
}
TASK_ALIASES = {
    "mnli": "nli",
    "multinli": "nli",
    "xnli": "nli",
    "xcsqa": "mcqa",
    "x-csqa": "mcqa",
    "csqa": "mcqa",
    "arc": "mcqa",
    "openbookqa": "mcqa",
    "qasc": "mcqa",
    "metamath": "metamathqa",
    "openmathinstruct": "openmathinstruct2",
    "openmathinstruct-2": "openmathinstruct2",
    "omi2": "openmathinstruct2",
}


def resolve_task(task: str) -> str:
    """Canonical task name (aliases such as ``xnli`` -> ``nli``, ``arc`` -> ``mcqa``); ConfigError when
    unknown."""
    name = TASK_ALIASES.get(task.lower(), task.lower())
    if name not in TASKS:
        raise ConfigError(
            f"unknown stage-2 task {task!r}; expected one of {', '.join([*TASKS, *TASK_ALIASES])}"
        )
    return name


@dataclass
class Stage2Summary:
    """Counts per language of a stage-2 build (records written, unlabelled rows skipped)."""

    task: str
    records: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    out: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "records": dict(self.records),
            "skipped": dict(self.skipped),
            "out": self.out,
        }


def iter_stage2_records(
    task: str,
    source: Source,
    lang: str = "en",
    limit: int | None = None,
    summary: Stage2Summary | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream ``{id, instruction, input, output, lang, task}`` records of one language's task file."""
    name = resolve_task(task)
    convert = TASKS[name]
    count = 0
    for where, record in iter_records(source):
        if limit is not None and count >= limit:
            break
        converted = convert(record, where)
        if converted is None:
            if summary is not None:
                summary.skipped[lang] += 1
            continue
        instruction, text, output = converted
        rid = record.get("id", count) if isinstance(record.get("id", count), (str, int)) else count
        count += 1
        if summary is not None:
            summary.records[lang] += 1
        yield {
            "id": f"{name}-{lang}-{rid}",
            "instruction": instruction,
            "input": text,
            "output": output,
            "lang": lang,
            "task": name,
        }


def build_stage2_dataset(
    task: str,
    input: Source,
    out: str | os.PathLike | None = None,
    *,
    lang: str = "en",
    parallel: Mapping[str, Source] | None = None,
    shuffle: bool = False,
    seed: int = 0,
    limit: int | None = None,
    output_format: str | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> Stage2Summary:
    """Convert ``input`` (path or records) of ``task`` into stage-2 records; with ``parallel`` add translated
    copies.

    ``limit`` caps the records per language; ``shuffle`` mixes the languages with ``seed`` (else language
    blocks in order: ``lang`` first, then ``parallel`` in the given order). Writes ``out`` (``.jsonl`` or HF
    folder) when given, else returns the records in ``.rows``; ``out`` may not be one of the input files and,
    when it exists, is replaced only with ``overwrite`` (checked before any work).
    """
    name = resolve_task(task)
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be >= 1, got {limit}")
    sources = {lang: input, **dict(parallel or {})}
    if parallel and lang in parallel:
        raise ConfigError(f"language {lang!r} given both as the main input and in parallel")
    from lingualift.languages import LANGUAGES

    unknown = [code for code in sources if code not in LANGUAGES]
    if unknown:
        raise ConfigError(
            f"unknown language code {', '.join(map(repr, unknown))} (lang / --parallel LANG=FILE take the"
            f" ISO 639-1 codes of lingualift.languages: {', '.join(sorted(LANGUAGES))})"
        )
    inputs = path_inputs(*(source for source in sources.values() if isinstance(source, (str, os.PathLike))))
    if out is not None:
        check_records_output(out, output_format, overwrite=overwrite, inputs=inputs)
    summary = Stage2Summary(task=name, out=str(out) if out is not None else None)
    records: list[dict[str, Any]] = []
    for code, source in sources.items():
        stream: Iterable[dict[str, Any]] = iter_stage2_records(name, source, code, limit, summary)
        if progress:
            from tqdm.auto import tqdm

            stream = tqdm(stream, desc=f"{name} [{code}]", unit=" rec")
        before = len(records)
        records.extend(stream)
        if len(records) == before:
            raise InputDataError(
                f"{source if isinstance(source, (str, os.PathLike)) else 'input'}: no {name} records"
                f" for language {code!r}"
            )
    if shuffle:
        random.Random(f"{seed}/stage2").shuffle(records)
    if out is not None:
        write_records(records, out, output_format, overwrite=overwrite, inputs=inputs)
    else:
        summary.rows = records
    return summary


__all__ = ["TASKS", "Stage2Summary", "build_stage2_dataset", "iter_stage2_records", "resolve_task"]
