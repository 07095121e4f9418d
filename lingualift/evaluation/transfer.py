"""Transfer metrics from result files: TI / MTI and the parallel scaling law (First-Parallel Leap, MGG).

* **TI** (after Huan et al. 2025; docs/ARCHITECTURE.md): for each benchmark ``b`` of group ``g``,
  ``ΔR_b = R_b(model) − R_b(base)``, ``δ_b = ΔR_b / σ_g`` with ``σ_g`` the population standard deviation of
  the ΔR of group ``g`` (when that is 0 — one benchmark, or equal gains — the pooled σ over all benchmarks is
  used, and 1 if that is 0 too), ``s_b = sign(δ_b)·|δ_b|^½``, weights ``ŵ_b ∝ 100 − R_b(base)`` normalised to
  sum 1 within the group (uniform when all bases are 100), ``DI_g = Σ ŵ_b s_b`` and
  ``TI_g = 100·DI_g / DI_ref``.
* **MTI**: the same with languages as the benchmarks, grouped into training languages (the reference) and
  unseen languages; MTI is TI of the unseen group.
* **Parallel scaling law**: ``N`` is the number of training languages *including English*, so
  ``N = 1`` is the monolingual (English-only) baseline and ``N = 2`` English plus one parallel language.
  ``f(N)`` is the observed score of the model trained on ``N`` languages; ``f(N) = a·N^b`` is fitted by least
  squares (scipy ``curve_fit``, started from the log-log line) on the points with ``N ≥ 2`` only (at least
  two of them; the monolingual point is never fitted); **First-Parallel Leap** ``FPL = f(2) − f(1)`` (observed
  scores); **Monolingual Generalization Gap** ``MGG = f̂(1) − f(1) = a − f(1)`` (the fit extrapolated to one
  language minus the observed monolingual score). See :func:`fit_scaling_law`, :func:`scaling_points`.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from statistics import pstdev
from typing import Any

import numpy as np

from lingualift.errors import ConfigError, InputDataError


def transferability_index(
    base: dict[str, float], tuned: dict[str, float], groups: dict[str, Sequence[str]], reference: str
) -> dict[str, Any]:
    """TI of every group relative to ``reference``: ``{group: {"DI", "TI", "delta", "weights"}}``."""
    if reference not in groups:
        raise ConfigError(f"reference group {reference!r} is not among the groups {sorted(groups)}")
    names = [b for members in groups.values() for b in members]
    missing = [b for b in names if b not in base or b not in tuned]
    if missing:
        raise InputDataError(f"no base and tuned score for: {', '.join(missing)}")
    deltas = {b: float(tuned[b]) - float(base[b]) for b in names}
    pooled = pstdev(deltas.values()) if len(deltas) > 1 else 0.0
    out: dict[str, Any] = {}
    for group, members in groups.items():
        if not members:
            raise ConfigError(f"group {group!r} has no members")
        sigma = pstdev([deltas[b] for b in members]) if len(members) > 1 else 0.0
        sigma = sigma or pooled or 1.0
        headroom = {b: 100.0 - float(base[b]) for b in members}
        total = sum(headroom.values())
        weights = {b: (h / total if total > 0 else 1.0 / len(members)) for b, h in headroom.items()}
        signed = {b: math.copysign(math.sqrt(abs(deltas[b] / sigma)), deltas[b]) for b in members}
        out[group] = {
            "DI": sum(weights[b] * signed[b] for b in members),
            "sigma": sigma,
            "delta": {b: deltas[b] for b in members},
            "weights": weights,
        }
    di_ref = out[reference]["DI"]
    for values in out.values():
        values["TI"] = 100.0 * values["DI"] / di_ref if di_ref != 0 else None
    return out


def multilingual_transferability_index(
    base: dict[str, float], tuned: dict[str, float], training_languages: Sequence[str]
) -> dict[str, Any]:
    """MTI: TI of the unseen languages relative to the training languages (languages shared by both
    results)."""
    common = [lang for lang in base if lang in tuned]
    train = [lang for lang in common if lang in set(training_languages)]
    unseen = [lang for lang in common if lang not in set(training_languages)]
    if not train or not unseen:
        raise ConfigError(
            f"MTI needs training and unseen languages in both results; training {train}, unseen {unseen}"
        )
    ti = transferability_index(base, tuned, {"training": train, "unseen": unseen}, reference="training")
    return {"MTI": ti["unseen"]["TI"], "groups": ti}


def check_language_count(n: Any, where: str = "N") -> int:
    """``n`` as a number of training languages (English included): an integer >= 1, else ConfigError."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(
            f"{where}: the number of training languages (English included; 1 = the monolingual English-only"
            f" baseline) must be an integer >= 1, got {n!r}"
        )
    return int(n)


def fit_scaling_law(points: dict[int, float]) -> dict[str, Any]:
    """Parallel scaling law of ``{N: f(N)}``, ``N`` = training languages including English (1 = monolingual).

    Fits ``f(N) = a·N^b`` on the points with ``N >= 2`` (the N=1 point is excluded from the fit; at least two
    points with N >= 2 are needed); adds ``first_parallel_leap`` ``f(2) − f(1)`` when N=1 and N=2 exist and
    ``monolingual_generalization_gap`` ``f̂(1) − f(1) = a − f(1)`` when N=1 exists. Example::

        fit_scaling_law({1: 30.0, 2: 40.0, 4: 56.57, 8: 80.0})  # a = 28.28, b = 0.5, FPL 10, MGG -1.72
    """
    from scipy.optimize import OptimizeWarning, curve_fit

    points = {check_language_count(n, f"point N={n!r}"): float(v) for n, v in points.items()}
    fit_points = sorted((n, v) for n, v in points.items() if n >= 2)
    if len(fit_points) < 2:
        raise ConfigError(
            "the scaling fit needs >= 2 points with N >= 2 training languages (English included; the N=1"
            f" monolingual point is not fitted), got N = {sorted(points)}; add runs with more languages"
        )
    if any(v <= 0 for _, v in fit_points):
        raise ConfigError(f"the power law needs positive accuracies, got {fit_points}")
    n = np.array([p[0] for p in fit_points], dtype=float)
    y = np.array([p[1] for p in fit_points], dtype=float)
    b0, log_a0 = np.polyfit(np.log(n), np.log(y), 1)
    with warnings.catch_warnings():  # two points fit exactly: scipy then has no covariance to estimate
        warnings.simplefilter("ignore", OptimizeWarning)
        (a, b), _ = curve_fit(
            lambda x, a, b: a * np.power(x, b), n, y, p0=(math.exp(log_a0), b0), maxfev=10000
        )
    predicted = a * np.power(n, b)
    ss_res = float(((y - predicted) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    result: dict[str, Any] = {
        "a": float(a),
        "b": float(b),
        "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0,
        "points": {int(k): float(v) for k, v in sorted(points.items())},
    }
    if 1 in result["points"] and 2 in result["points"]:
        result["first_parallel_leap"] = result["points"][2] - result["points"][1]
    if 1 in result["points"]:
        result["monolingual_generalization_gap"] = float(a) - result["points"][1]
    return result


def scaling_points(
    summaries: dict[int, str | Path],
    benchmark: str | None = None,
    metric: str = "accuracy",
    languages: Sequence[str] | None = None,
) -> dict[int, float]:
    """``{N: f(N)}`` from one ``summary.json`` per number of training languages ``N`` (English included, 1 =
    the monolingual run): ``f(N)`` is the unweighted mean of ``metric`` over ``languages`` (default: every
    language of ``benchmark`` in that file). Feed the result to :func:`fit_scaling_law`."""
    points = {}
    for n, path in summaries.items():
        n = check_language_count(n, f"{path}: N")
        scores = load_language_scores(path, benchmark, metric, languages)
        points[n] = float(np.mean([float(v) for v in scores.values()]))
    return points


def load_language_scores(
    path: str | Path,
    benchmark: str | None = None,
    metric: str = "accuracy",
    languages: Sequence[str] | None = None,
) -> dict[str, float]:
    """``{language: metric}`` of one benchmark from a ``summary.json`` (the only one when ``benchmark`` is
    None)."""
    summary = _benchmark_summary(path, benchmark)
    scores = {lang: values.get(metric) for lang, values in summary["languages"].items()}
    if languages is not None:
        missing = [lang for lang in languages if lang not in scores]
        if missing:
            raise InputDataError(f"{path}: no {metric} for languages {', '.join(missing)}")
        scores = {lang: scores[lang] for lang in languages}
    if any(v is None for v in scores.values()):
        raise InputDataError(f"{path}: metric {metric!r} missing for some languages")
    return scores


def load_benchmark_averages(path: str | Path) -> dict[str, float]:
    """``{benchmark: Avg accuracy}`` of every benchmark in a ``summary.json`` (TI's per-benchmark scores)."""
    data = _read_summary(path)
    return {name: s["groups"]["resource_levels"]["Avg"] for name, s in data["benchmarks"].items()}


def _read_summary(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"result file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputDataError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), dict):
        raise InputDataError(f"{path}: not a lingualift summary.json (expected a 'benchmarks' object)")
    return data


def _benchmark_summary(path: str | Path, benchmark: str | None) -> dict[str, Any]:
    benchmarks = _read_summary(path)["benchmarks"]
    if benchmark is None:
        if len(benchmarks) != 1:
            raise ConfigError(f"{path} holds several benchmarks ({', '.join(benchmarks)}); name one")
        return next(iter(benchmarks.values()))
    if benchmark not in benchmarks:
        raise InputDataError(f"{path}: no results for benchmark {benchmark!r} (has: {', '.join(benchmarks)})")
    return benchmarks[benchmark]


def plot_scaling_law(fit: dict[str, Any], path: str | Path, title: str = "parallel scaling") -> Path:
    """Observed accuracies and the fitted ``a·N^b`` curve (extrapolated to N=1) as a PNG."""
    from lingualift.plotting import pyplot, save_figure

    plt = pyplot()

    path = Path(path)
    ns = sorted(fit["points"])
    xs = np.linspace(1, max(ns), 100)
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.plot(ns, [fit["points"][n] for n in ns], "o", label="observed")
    ax.plot(xs, fit["a"] * xs ** fit["b"], "-", label=f"fit {fit['a']:.1f}·N^{fit['b']:.3f}")
    ax.set_xlabel("number of training languages N (English included)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
