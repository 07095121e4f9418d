"""Scoring of prediction records: per-example correctness, per-language metrics and group averages.

Accuracies are percentages (0–100) as in the paper's tables. Math records are scored by numeric answer
extraction (strict and flexible, see ``answers``) plus the off-target check of ``langid``; classification
records by the arg-max option log-likelihood. Group averages (the benchmark's own LR/HR groups, MR too where
graded by the MMWP levels; Avg, language family, script) are unweighted means over the languages present.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import mean
from typing import Any

from lingualift.evaluation.answers import answers_match, extract_answer
from lingualift.evaluation.langid import is_off_target
from lingualift.languages import UNKNOWN_FAMILY, benchmark_groups, language_group, language_info


def score_math_record(record: dict[str, Any], off_target_language: str | None = None) -> dict[str, Any]:
    """Add extraction and correctness fields to a ``{language, gold, response}`` record (returns a new
    dict)."""
    language = record["language"]
    extracted = extract_answer(record["response"], language)
    strict_value = extracted.value if extracted.method == "strict" else None
    off_target = is_off_target(record["response"], off_target_language or language)
    return {
        **record,
        "extracted": extracted.value,
        "extraction_method": extracted.method,
        "correct_strict": answers_match(strict_value, record["gold"]),
        "correct": answers_match(extracted.value, record["gold"]),
        "off_target": off_target,
    }


def score_choice_record(record: dict[str, Any]) -> dict[str, Any]:
    """Add the predicted option (arg-max log-likelihood) and correctness to a ``{scores, label}`` record."""
    scores = record["scores"]
    predicted = max(range(len(scores)), key=scores.__getitem__)
    return {**record, "predicted": predicted, "correct": predicted == record["label"]}


def _percent(count: int, total: int) -> float:
    return round(100.0 * count / total, 2) if total else 0.0


def summarize_language(records: list[dict[str, Any]], task: str) -> dict[str, Any]:
    """Metrics of one language's scored records."""
    n = len(records)
    summary: dict[str, Any] = {"n": n, "accuracy": _percent(sum(r["correct"] for r in records), n)}
    if task == "math":
        failures = sum(r["extraction_method"] is None for r in records)
        decided = [r["off_target"] for r in records if r["off_target"] is not None]
        summary.update(
            strict_accuracy=_percent(sum(r["correct_strict"] for r in records), n),
            extraction_failures=failures,
            extraction_failure_rate=_percent(failures, n),
            off_target_rate=_percent(sum(decided), len(decided)) if decided else None,
            off_target_undetermined=n - len(decided),
        )
    return summary


def _avg(values: Iterable[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(mean(values), 2) if values else None


def group_averages(
    per_language: dict[str, float], metric_name: str = "accuracy", *, benchmark: str
) -> dict[str, Any]:
    """The benchmark's group averages (LR/HR, MMWP-graded ones also MR), Avg, family and script averages of
    a ``{language: value}`` mapping.

    Groups are the paper's for ``benchmark`` (:data:`~lingualift.languages.BENCHMARK_GROUPS`):
    XNLI low = ar, bg, el, hi, sw, th, tr, ur, X-CSQA low = ar, hi, sw, ur, MGSM/MSVAMP LR = bn, sw, te, th,
    MMWP/SIB-200/Tatoeba the MMWP levels. ``group_members`` lists the languages each average is over. Keys
    are ISO codes or Flores-200 codes (SIB-200 folders); one in no group counts in Avg (and in its family's
    and script's averages) only.

    Example: ``group_averages({"el": 40.0, "en": 80.0}, benchmark="xnli")["resource_levels"]`` ->
    ``{"LR": 40.0, "HR": 80.0, "Avg": 60.0}``.
    """
    groups = benchmark_groups(benchmark)
    members: dict[str, list[str]] = {group: [] for group in groups}
    for code in per_language:
        group = language_group(code, benchmark)
        if group is not None:
            members[group].append(code)
    levels: dict[str, float | None] = {
        group: _avg(per_language[code] for code in codes) for group, codes in members.items()
    }
    levels["Avg"] = _avg(per_language.values())
    families: dict[str, list[float]] = {}
    scripts: dict[str, list[float]] = {}
    for code, value in per_language.items():
        lang = language_info(code)
        if lang.family != UNKNOWN_FAMILY:
            families.setdefault(lang.family, []).append(value)
        scripts.setdefault(lang.script, []).append(value)
    return {
        "metric": metric_name,
        "resource_levels": levels,
        "group_members": members,
        "families": {k: _avg(v) for k, v in sorted(families.items())},
        "scripts": {k: _avg(v) for k, v in sorted(scripts.items())},
    }
