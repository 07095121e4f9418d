"""Reports: ``summary.json`` (all benchmarks of a results dir), markdown tables in the paper's layout, PNG
plots.

Paper layout: one row per model, languages as columns ordered by the benchmark's groups LR → (MR →) HR (then
languages in no group), then the group averages and Avg; the groups are the paper's for each benchmark
(``lingualift.languages.BENCHMARK_GROUPS``: XNLI low = ar, bg, el, hi, sw, th, tr, ur, ...), and
the section names the split. Plots: per-language accuracy bars coloured by group.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lingualift.io_utils import atomic_write_json, atomic_write_text
from lingualift.languages import (
    LANGUAGES,
    RESOURCE_LEVELS,
    benchmark_groups,
    language_group,
    language_info,
)

SUMMARY_FILE = "summary.json"
_LEVEL_ORDER = {level: i for i, level in enumerate(RESOURCE_LEVELS)}
_LEVEL_COLOURS = {"LR": "#d95f02", "MR": "#7570b3", "HR": "#1b9e77", None: "#999999"}


def _level(code: str, benchmark: str | None) -> str | None:
    """The group of a language: the benchmark's (``language_group``), or its MMWP resource level."""
    return language_group(code, benchmark) if benchmark else language_info(code).resource_level


def paper_language_order(languages: Sequence[str], benchmark: str | None = None) -> list[str]:
    """Languages ordered LR, MR, HR (the groups of ``benchmark``, else the MMWP resource levels), then the
    rest; the metadata order inside each group (keys without metadata, such as SIB-200 folder names, last in
    name order)."""
    position = {code: i for i, code in enumerate(LANGUAGES)}
    return sorted(
        languages,
        key=lambda c: (
            _LEVEL_ORDER.get(_level(c, benchmark), 3),
            position.get(c, len(position)),
            c,
        ),
    )


def _fmt(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


# how each metric is captioned and printed; every other metric is a percentage
_METRICS = {"nll_per_token": ("NLL per token of the English reference (lower is better)", 3)}


def _metric_style(metric: str) -> tuple[str, int]:
    return _METRICS.get(metric, ("Accuracy (%)", 1))


def markdown_table(
    rows: dict[str, dict[str, Any]], metric: str = "accuracy", groups_key: str = "groups"
) -> str:
    """A markdown table from ``{row name: benchmark summary}`` (one benchmark): languages as columns, then
    the benchmark's group averages (LR/HR, or LR/MR/HR) present and Avg."""
    languages: list[str] = []
    for summary in rows.values():
        languages += [code for code in summary["languages"] if code not in languages]
    benchmark = next((s.get("benchmark") for s in rows.values() if s.get("benchmark")), None)
    languages = paper_language_order(languages, benchmark)
    order = benchmark_groups(benchmark) if benchmark else RESOURCE_LEVELS
    levels = [lvl for lvl in order if any(_level(c, benchmark) == lvl for c in languages)]
    header = ["Model", *languages, *levels, "Avg"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + [":-:"] * (len(header) - 1)) + "|"]
    for name, summary in rows.items():
        per_lang = summary["languages"]
        level_avgs = summary.get(groups_key, {}).get("resource_levels", {})
        digits = _metric_style(metric)[1]
        cells = [name] + [_fmt(per_lang.get(c, {}).get(metric), digits) for c in languages]
        cells += [_fmt(level_avgs.get(lvl), digits) for lvl in levels] + [_fmt(level_avgs.get("Avg"), digits)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def benchmark_markdown(summary: dict[str, Any]) -> str:
    """The markdown section of one benchmark summary (accuracy table; strict table and diagnostics for
    math)."""
    name = summary["benchmark"] + (f" ({summary['space']} space)" if summary.get("space") else "")
    model = summary.get("model", "model")
    metric = summary.get("groups", {}).get("metric", "accuracy")
    caption, digits = _metric_style(metric)
    split = f" on the {summary['split']} split" if summary.get("split") else ""
    parts = [f"## {name}\n", f"{caption} of `{model}`{split}.\n", markdown_table({model: summary}, metric)]
    members = summary.get("groups", {}).get("group_members")
    if members:
        listed = "; ".join(f"{group} = {', '.join(codes)}" for group, codes in members.items() if codes)
        parts.append(f"\nGroups (the paper's for {summary['benchmark']}): {listed}.\n")
    if summary.get("task") == "math":
        parts += [
            "\nStrict extraction (answer phrase / `####` only):\n",
            markdown_table({model: summary}, "strict_accuracy", "strict_groups"),
        ]
        diag = ["| Language | n | extraction failures | off-target % |", "|---|:-:|:-:|:-:|"]
        for code in paper_language_order(list(summary["languages"]), summary.get("benchmark")):
            s = summary["languages"][code]
            diag.append(
                f"| {code} | {s.get('n')} | {s.get('extraction_failures')}"
                f" | {_fmt(s.get('off_target_rate'))} |"
            )
        parts += ["\n", "\n".join(diag) + "\n"]
    groups = summary.get("groups", {})
    for title, key in (("Family", "families"), ("Script", "scripts")):
        if groups.get(key):
            parts.append(
                f"\n{title} averages: "
                + ", ".join(f"{k} {_fmt(v, digits)}" for k, v in groups[key].items())
                + "\n"
            )
    return "".join(parts)


def plot_language_bars(summary: dict[str, Any], path: Path, metric: str | None = None) -> Path:
    """Per-language bar chart of ``metric`` (default: the summary's) coloured by the benchmark's group;
    returns the PNG."""
    from lingualift.plotting import pyplot, save_figure

    plt = pyplot()

    metric = metric or summary.get("groups", {}).get("metric", "accuracy")
    percent = metric not in _METRICS
    benchmark = summary.get("benchmark")
    codes = paper_language_order(list(summary["languages"]), benchmark)
    values = [summary["languages"][c][metric] or 0.0 for c in codes]
    colours = [_LEVEL_COLOURS[_level(c, benchmark)] for c in codes]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(codes) + 1.5), 3.2))
    ax.bar(codes, values, color=colours)
    avg = summary.get("groups", {}).get("resource_levels", {}).get("Avg")
    if avg is not None:
        ax.axhline(
            avg,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"Avg {_fmt(avg, _metric_style(metric)[1])}",
        )
        ax.legend(loc="upper right", fontsize=8)
    ax.set_ylabel(f"{metric} (%)" if percent else metric)
    if percent:
        ax.set_ylim(0, 100)
    ax.set_title(f"{summary['benchmark']}: {summary.get('model', '')}"[:80], fontsize=9)
    return save_figure(fig, path)


def write_reports(
    out_dir: Path, summary: dict[str, Any], plots: bool = True, key: str | None = None
) -> dict[str, Path]:
    """Merge ``summary`` into ``out_dir/summary.json``; (re)write ``report.md``, ``{key}.md`` and the bar
    PNG."""
    out_dir = Path(out_dir)
    key = key or summary["benchmark"]
    summary_path = out_dir / SUMMARY_FILE
    merged: dict[str, Any] = {"benchmarks": {}}
    if summary_path.is_file():
        try:
            merged = json.loads(summary_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            merged = {"benchmarks": {}}
        merged.setdefault("benchmarks", {})
    merged["benchmarks"][key] = summary
    atomic_write_json(summary_path, merged)
    written = {"summary": summary_path}
    section = benchmark_markdown(summary)
    written["markdown"] = out_dir / f"{key}.md"
    atomic_write_text(written["markdown"], section)
    report = "# Evaluation report\n\n" + "\n".join(
        benchmark_markdown(s) for s in merged["benchmarks"].values()
    )
    written["report"] = out_dir / "report.md"
    atomic_write_text(written["report"], report)
    if plots:
        metric = summary.get("groups", {}).get("metric", "accuracy")
        written["plot"] = plot_language_bars(summary, out_dir / f"{key}_{metric}.png")
    return written
