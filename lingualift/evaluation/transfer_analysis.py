"""Cross-lingual transfer from a grid of runs: the transfer matrix, the parallel scaling law and TI/MTI.

A *run* is one model's evaluation (``summary.json`` of ``lingualift evaluate``) labelled by the languages
its task data had, joined by ``+``: ``en`` (the English-only base), ``en+sw`` (English plus Swahili parallel
data), ``en+sw+te``, ... From any such set of runs :func:`analyze_transfer` computes

* **the transfer matrix** (ATLAS, Longpre et al. 2025, arXiv:2510.22037, which measures how much training on a
  source language helps each target language): for every bilingual run ``en+s`` and every evaluated target
  ``t``, the gain over English only ``G(s, t) = R(en+s, t) − R(en, t)`` (points), and the *normalised
  transfer score* ``T(s, t) = G(s, t) / G(t, t)``: the gain from adding ``s`` as a share of the gain from
  adding the target's own data (1 = as good as the target's own data, 0 = no help, < 0 = interference; null
  when the ``en+t`` run is missing or ``G(t, t) <= 0``). ATLAS defines its bilingual transfer score on
  pre-training loss curves; ``T`` is the same normalisation (a source's help relative to the target's own
  data) for fine-tuning accuracy, where no loss curve over data amounts exists;
* **the parallel scaling law** (:func:`~lingualift.evaluation.transfer.fit_scaling_law`): ``f(N)``, with N
  the number of training languages including English, is the mean over the runs with N languages of their
  mean score over the evaluation languages; fitted ``a·N^b``, First-Parallel Leap and Monolingual
  Generalization Gap;
* **TI/MTI** of every run against the base (:func:`~lingualift.evaluation.transfer.
  multilingual_transferability_index`): the run's own training languages vs the unseen ones.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lingualift.errors import ConfigError, InputDataError
from lingualift.evaluation.transfer import (
    fit_scaling_law,
    load_language_scores,
    multilingual_transferability_index,
)

SUMMARY_NAME = "summary.json"


@dataclass(frozen=True)
class Run:
    """One evaluated model: the languages of its task data (base first) and its per-language scores."""

    label: str
    languages: tuple[str, ...]
    scores: dict[str, float]

    @property
    def parallel(self) -> tuple[str, ...]:
        """The languages beyond the base language."""
        return self.languages[1:]


def parse_label(label: str) -> tuple[str, ...]:
    """``"en+sw+te"`` -> ``("en", "sw", "te")``; ConfigError for an empty or repeated language."""
    languages = tuple(part.strip() for part in label.split("+"))
    if not all(languages) or len(set(languages)) != len(languages):
        raise ConfigError(
            f"run label {label!r}: expected the training languages joined by '+', each once (e.g. en+sw)"
        )
    return languages


def load_runs(
    specs: Mapping[str, str | os.PathLike],
    benchmark: str | None = None,
    metric: str = "accuracy",
) -> list[Run]:
    """``{label: summary.json or its directory}`` -> runs with their per-language ``metric`` scores."""
    runs = []
    for label, where in specs.items():
        path = Path(where)
        if path.is_dir():
            path = path / SUMMARY_NAME
        scores = load_language_scores(path, benchmark, metric)
        runs.append(Run(label, parse_label(label), {k: float(v) for k, v in scores.items()}))
    return runs


def base_run(runs: Sequence[Run], base: str | None = None) -> Run:
    """The English-only (one-language) run; with several one-language runs, the one named ``base``."""
    singles = [run for run in runs if len(run.languages) == 1 and (base is None or run.languages[0] == base)]
    if len(singles) != 1:
        raise ConfigError(
            f"need exactly one base run (one training language{f' {base!r}' if base else ''}), got"
            f" {[run.label for run in singles] or 'none'}; label it with its language alone, e.g. en=DIR"
        )
    base_language = singles[0].languages[0]
    stray = [run.label for run in runs if run.languages[0] != base_language]
    if stray:
        raise ConfigError(
            f"runs {stray} do not start with the base language {base_language!r}; label them"
            f" {base_language}+LANG..."
        )
    return singles[0]


def transfer_matrix(runs: Sequence[Run], base: Run, targets: Sequence[str]) -> dict[str, Any]:
    """Gains ``G[s][t]`` (points over the base) and normalised scores ``T[s][t] = G[s][t] / G[t][t]`` of the
    bilingual runs (base + one source) for ``targets``."""
    bilingual = {run.parallel[0]: run for run in runs if len(run.parallel) == 1}
    gain = {
        s: {t: run.scores[t] - base.scores[t] for t in targets if t in run.scores and t in base.scores}
        for s, run in bilingual.items()
    }
    normalised: dict[str, dict[str, float | None]] = {}
    for s, row in gain.items():
        normalised[s] = {}
        for t, value in row.items():
            own = gain.get(t, {}).get(t)
            normalised[s][t] = value / own if own is not None and own > 0 else None
    return {"sources": list(bilingual), "targets": list(targets), "gain": gain, "normalised": normalised}


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


def run_means(run: Run, targets: Sequence[str]) -> dict[str, float | None]:
    """Mean score over ``targets``, over those in the run's parallel languages, and over the rest."""
    present = [t for t in targets if t in run.scores]
    inside = [run.scores[t] for t in present if t in run.parallel]
    outside = [run.scores[t] for t in present if t not in run.languages]
    return {
        "all": _mean([run.scores[t] for t in present]),
        "in_mixture": _mean(inside),
        "outside_mixture": _mean(outside),
    }


def analyze_transfer(
    runs: Sequence[Run], base: str | None = None, targets: Sequence[str] | None = None
) -> dict[str, Any]:
    """Matrix, scaling fit (when >= 2 run sizes N >= 2 exist), per-run means and TI/MTI (see the module
    docstring); ``targets`` defaults to every language the base run scored."""
    if len(runs) < 2:
        raise ConfigError(f"transfer analysis needs the base run and at least one more, got {len(runs)}")
    labels = [run.label for run in runs]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"run labels must differ, got {labels}")
    reference = base_run(runs, base)
    targets = list(targets) if targets else sorted(reference.scores)
    missing = [t for t in targets if t not in reference.scores]
    if missing:
        raise InputDataError(f"base run {reference.label!r} has no score for {', '.join(missing)}")
    per_run: dict[str, Any] = {}
    by_size: dict[int, list[float]] = {}
    for run in runs:
        means = run_means(run, targets)
        entry: dict[str, Any] = {"languages": list(run.languages), "N": len(run.languages), "mean": means}
        if run is not reference and means["all"] is not None:
            present = [t for t in targets if t in run.scores]  # the base's mean over the same languages
            entry["gain_over_base"] = means["all"] - float(np.mean([reference.scores[t] for t in present]))
            trained = [t for t in run.languages if t in run.scores and t in reference.scores]
            unseen = [t for t in targets if t not in run.languages and t in run.scores]
            if trained and unseen:
                common = [*trained, *unseen]
                mti = multilingual_transferability_index(
                    {t: reference.scores[t] for t in common}, {t: run.scores[t] for t in common}, trained
                )
                entry["MTI"] = mti["MTI"]
        if means["all"] is not None:
            by_size.setdefault(len(run.languages), []).append(means["all"])
        per_run[run.label] = entry
    points = {n: float(np.mean(values)) for n, values in sorted(by_size.items())}
    result: dict[str, Any] = {
        "base": reference.label,
        "targets": targets,
        "runs": per_run,
        "matrix": transfer_matrix(runs, reference, targets),
        "scaling_points": points,
    }
    if sum(1 for n in points if n >= 2) >= 2 and all(v > 0 for n, v in points.items() if n >= 2):
        result["scaling"] = fit_scaling_law(points)
    return result


def _cell(value: float | None, digits: int = 1, signed: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def format_transfer_markdown(result: dict[str, Any]) -> str:
    """The analysis as Markdown tables (matrix of gains, normalised scores, per-run means, scaling fit)."""
    matrix = result["matrix"]
    targets, sources = matrix["targets"], matrix["sources"]
    lines = [f"# Transfer analysis (base run: `{result['base']}`)", ""]
    if sources:
        header = "| source \\ target | " + " | ".join(targets) + " |"
        rule = "|---|" + "---|" * len(targets)
        lines += ["## Gain over the base, points: G(s, t) = R(base+s, t) − R(base, t)", "", header, rule]
        lines += [
            f"| {s} | " + " | ".join(_cell(matrix["gain"][s].get(t)) for t in targets) + " |" for s in sources
        ]
        lines += ["", "## Normalised transfer score T(s, t) = G(s, t) / G(t, t)", "", header, rule]
        lines += [
            f"| {s} | "
            + " | ".join(_cell(matrix["normalised"][s].get(t), 2, signed=False) for t in targets)
            + " |"
            for s in sources
        ]
        lines.append("")
    lines += [
        "## Runs (mean over the targets; in / outside the run's parallel languages)",
        "",
        "| run | N | mean | in mixture | outside mixture | gain over base | MTI |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, run in result["runs"].items():
        mean = run["mean"]
        lines.append(
            f"| {label} | {run['N']} | {_cell(mean['all'], signed=False)} |"
            f" {_cell(mean['in_mixture'], signed=False)} | {_cell(mean['outside_mixture'], signed=False)} |"
            f" {_cell(run.get('gain_over_base'))} | {_cell(run.get('MTI'), signed=False)} |"
        )
    if "scaling" in result:
        fit = result["scaling"]
        lines += [
            "",
            f"## Parallel scaling law: f(N) = {fit['a']:.2f}·N^{fit['b']:.3f} (R² {fit['r2']:.3f}, fitted on"
            " N ≥ 2)",
            "",
        ]
        if "first_parallel_leap" in fit:
            lines.append(f"First-Parallel Leap f(2) − f(1): {fit['first_parallel_leap']:+.2f} points  ")
        if "monolingual_generalization_gap" in fit:
            lines.append(
                f"Monolingual Generalization Gap f̂(1) − f(1): {fit['monolingual_generalization_gap']:+.2f}"
                " points"
            )
    return "\n".join(lines) + "\n"


def plot_transfer_matrix(result: dict[str, Any], path: str | Path) -> Path:
    """Heatmap of the gains G(s, t) (points), diverging around 0, each cell annotated."""
    from lingualift.plotting import pyplot, save_figure

    plt = pyplot()
    matrix = result["matrix"]
    sources, targets = matrix["sources"], matrix["targets"]
    if not sources:
        raise ConfigError("no bilingual run (base+one language): nothing to draw as a transfer matrix")
    values = np.array([[matrix["gain"][s].get(t, np.nan) for t in targets] for s in sources], dtype=float)
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(targets), 1.2 + 0.45 * len(sources)))
    image = ax.imshow(values, cmap="RdBu", vmin=-limit or -1.0, vmax=limit or 1.0, aspect="auto")
    ax.set_xticks(range(len(targets)), targets, fontsize=8, rotation=90)
    ax.set_yticks(range(len(sources)), [f"{result['base']}+{s}" for s in sources], fontsize=8)
    for i in range(len(sources)):
        for j in range(len(targets)):
            if np.isfinite(values[i, j]):
                ax.text(j, i, f"{values[i, j]:+.0f}", ha="center", va="center", fontsize=6)
    ax.set_xlabel("target (evaluation) language")
    ax.set_ylabel("training data")
    ax.set_title("gain over English-only (points)", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04)
    return save_figure(fig, path)


__all__ = [
    "Run",
    "analyze_transfer",
    "base_run",
    "format_transfer_markdown",
    "load_runs",
    "parse_label",
    "plot_transfer_matrix",
    "run_means",
    "transfer_matrix",
]
