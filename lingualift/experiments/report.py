"""The small-scale experiment's report: per-language tables, group means with paired-bootstrap intervals,
inference cost, the stage-1 diagnostics, plots and ``results.json``."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lingualift.experiments.config import BARE_LLM, SYSTEMS
from lingualift.io_utils import atomic_write_json, atomic_write_text
from lingualift.languages import RESOURCE_LEVELS, language_info

SYSTEM_NAMES = {
    BARE_LLM: "bare LLM",
    "mono_sft": "Mono-SFT",
    "wo_alignment": "w/o alignment",
    "lingualift": "LinguaLIFT",
}
# the paper's two comparisons, then the bridge trained on the task alone against reading the text (what the
# encoder + bridge architecture gives without stage 1)
COMPARISONS = (("lingualift", "mono_sft"), ("lingualift", "wo_alignment"), ("wo_alignment", "mono_sft"))


def paired_bootstrap(
    correct_a: Mapping[str, Mapping[str, bool]],
    correct_b: Mapping[str, Mapping[str, bool]],
    languages: Sequence[str],
    samples: int = 10_000,
    seed: int = 0,
) -> dict[str, float]:
    """Mean over ``languages`` of accuracy(a) − accuracy(b), in points, with a 95 % paired-bootstrap interval.

    ``correct_x[lang][item_id]`` says whether system x answered item ``item_id`` of ``lang`` correctly. Items
    are resampled by id, jointly in every language (SIB-200 items are translations of each other, so one
    draw of ids serves all languages), and both systems see the same draw.
    """
    if not languages:
        return {"diff": float("nan"), "low": float("nan"), "high": float("nan"), "languages": 0}
    ids = sorted(set.intersection(*(set(correct_a[lang]) & set(correct_b[lang]) for lang in languages)))
    if not ids:
        raise ValueError("paired_bootstrap: the systems share no scored items")
    diff = np.array(
        [[float(correct_a[lang][i]) - float(correct_b[lang][i]) for i in ids] for lang in languages]
    )  # (languages, items)
    point = 100.0 * diff.mean()
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(samples, len(ids)))
    means = 100.0 * diff[:, draws].mean(axis=(0, 2))
    low, high = np.percentile(means, [2.5, 97.5])
    return {
        "diff": round(float(point), 2),
        "low": round(float(low), 2),
        "high": round(float(high), 2),
        "languages": len(languages),
        "items": len(ids),
    }


def level_of(lang: str) -> str | None:
    return language_info(lang).resource_level


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def build_results(experiment: Any) -> dict[str, Any]:
    """Everything the report shows, as one JSON-serialisable dict."""
    r, c = experiment.r, experiment.c
    split = c.evaluation.sib200_split
    systems = [s for s in (BARE_LLM, *SYSTEMS) if f"eval-{s}" in r]
    per_system = {s: r[f"eval-{s}"]["splits"] for s in systems}
    languages = list(per_system[systems[0]][split])
    accuracy = {s: {lang: per_system[s][split][lang]["accuracy"] for lang in languages} for s in systems}
    correct = {s: {lang: per_system[s][split][lang]["correct"] for lang in languages} for s in systems}
    groups: dict[str, list[str]] = {
        level: [lg for lg in languages if level_of(lg) == level] for level in RESOURCE_LEVELS
    }
    groups["all"] = languages
    group_means = {
        s: {
            g: (round(float(np.mean([accuracy[s][lg] for lg in langs])), 2) if langs else None)
            for g, langs in groups.items()
        }
        for s in systems
    }
    comparisons = {}
    for a, b in COMPARISONS:
        if a in correct and b in correct:
            comparisons[f"{a}-{b}"] = {
                g: paired_bootstrap(correct[a], correct[b], langs, c.evaluation.bootstrap_samples, c.seed)
                for g, langs in groups.items()
            }
    english = {
        s: {
            f"{split} eng_Latn": accuracy[s].get("en"),
            "dev eng_Latn": per_system[s].get("dev", {}).get("en", {}).get("accuracy"),
        }
        for s in systems
    }
    cost = {
        s: {
            lang: {
                "llm_tokens": per_system[s][split][lang]["llm_tokens_per_example"],
                "seconds": per_system[s][split][lang]["seconds_per_example"],
            }
            for lang in languages
        }
        for s in systems
    }
    return {
        "missing_systems": [SYSTEM_NAMES[s] for s in (*SYSTEMS, BARE_LLM) if s not in systems],
        "command": experiment.command,
        "commit": _git_commit(),
        "config": _plain_config(c),
        "split": split,
        "languages": {
            lang: {
                "level": level_of(lang),
                "script": language_info(lang).script,
                "name": language_info(lang).name,
            }
            for lang in languages
        },
        "groups": groups,
        "accuracy": accuracy,
        "group_means": group_means,
        "comparisons": comparisons,
        "english": english,
        "inference_cost": cost,
        "lexicons": r.get("lexicons", {}).get("languages"),
        "stage1_corpus": {k: r.get("corpus", {}).get(k) for k in ("sentences", "per_source")},
        "stage1_data": r.get("stage1data", {}).get("summary"),
        "translation": _translation_table(r.get("translation")),
        "training": {
            k: {kk: v for kk, v in r[k].items() if kk != "final_dir"}
            for k in r
            if k.startswith("stage") and isinstance(r[k], dict) and "global_step" in r[k]
        },
        "step_seconds": {k: v.get("seconds") for k, v in r.items() if isinstance(v, dict)},
    }


def _plain_config(config: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(config)


def _translation_table(translation: dict[str, Any] | None) -> dict[str, Any] | None:
    if not translation:
        return None
    table = {}
    for lang in translation["languages"]:
        row = {"in_stage1": lang in translation["in_stage1"], "level": level_of(lang)}
        for key in ("bare_llm", "bridge_before_stage1", "bridge_after_stage1"):
            entry = translation[key][lang]
            row[key] = {"nll_per_token": entry["nll_per_token"], "chrf": entry.get("chrf")}
        table[lang] = row
    return table


def _fmt(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render_markdown(results: dict[str, Any]) -> str:
    """``report.md``: what was run, the tables, and the targets met or missed."""
    systems = list(results["accuracy"])
    split = results["split"]
    lines = [
        "# Small-scale reproduction of LinguaLIFT (CPU)",
        "",
        f"Command: `{results['command']}`  ",
        f"Commit: `{results['commit']}`  ",
        f"Evaluation: SIB-200 `{split}` split,"
        f" {results['config']['evaluation']['sib200_limit']} items per language "
        f"(seeded, topic-stratified, the same items in every language).",
        "",
        *(
            [f"**Not evaluated** (the run stopped before them): {', '.join(results['missing_systems'])}.", ""]
            if results.get("missing_systems")
            else []
        ),
        "## Group means (accuracy, %)",
        "",
        "| system | " + " | ".join(f"{g} ({len(results['groups'][g])})" for g in results["groups"]) + " |",
        "|---|" + "---|" * len(results["groups"]),
    ]
    for s in systems:
        lines.append(
            f"| {SYSTEM_NAMES[s]} | "
            + " | ".join(_fmt(results["group_means"][s][g]) for g in results["groups"])
            + " |"
        )
    lines += ["", "## Paired differences (points, 95 % paired-bootstrap interval over items)", ""]
    lines += [
        "| comparison | " + " | ".join(results["groups"]) + " |",
        "|---|" + "---|" * len(results["groups"]),
    ]
    for name, by_group in results["comparisons"].items():
        a, b = name.split("-", 1)
        cells = [
            f"{v['diff']:+.1f} [{v['low']:+.1f}, {v['high']:+.1f}]" if v["languages"] else "–"
            for v in by_group.values()
        ]
        lines.append(f"| {SYSTEM_NAMES[a]} − {SYSTEM_NAMES[b]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## English accuracy (was the task learned?)",
        "",
        "| system | " + " | ".join(next(iter(results["english"].values()))) + " |",
        "|---|---|---|",
    ]
    for s, row in results["english"].items():
        lines.append(f"| {SYSTEM_NAMES[s]} | " + " | ".join(_fmt(v) for v in row.values()) + " |")
    lines += [
        "",
        "## Per language (accuracy %, LLM tokens and seconds per example)",
        "",
        "Seconds are measured in the process that evaluated the language (– : predictions reused from an"
        " interrupted process, not timed).",
        "",
    ]
    header = "| language | level | script | " + " | ".join(SYSTEM_NAMES[s] for s in systems)
    header += " | tokens plain / bridged | s/example plain / bridged |"
    lines += [header, "|---|---|---|" + "---|" * (len(systems) + 2)]
    plain = next((s for s in (BARE_LLM, "mono_sft") if s in systems), None)
    bridged = next((s for s in ("lingualift", "wo_alignment") if s in systems), None)
    cost = results["inference_cost"]

    def cost_of(system: str | None, lang: str, key: str, digits: int) -> str:
        return _fmt(cost[system][lang][key], digits) if system is not None else "–"

    for lang, meta in results["languages"].items():
        lines.append(
            f"| {lang} ({meta['name']}) | {meta['level'] or '–'} | {meta['script']} | "
            + " | ".join(_fmt(results["accuracy"][s][lang]) for s in systems)
            + f" | {cost_of(plain, lang, 'llm_tokens', 0)} / {cost_of(bridged, lang, 'llm_tokens', 0)}"
            + f" | {cost_of(plain, lang, 'seconds', 3)} / {cost_of(bridged, lang, 'seconds', 3)} |"
        )
    if results.get("translation"):
        lines += [
            "",
            "## Stage-1 diagnostic: Tatoeba xx→en"
            " (NLL per token of the reference ↓, chrF of greedy output ↑)",
            "",
            "| language | level | in stage-1 corpus | bare LLM reads text"
            " | bridge before stage 1 | bridge after stage 1 |",
            "|---|---|---|---|---|---|",
        ]
        for lang, row in results["translation"].items():
            cells = [
                f"{row[k]['nll_per_token']:.3f} / {_fmt(row[k]['chrf'])}"
                for k in ("bare_llm", "bridge_before_stage1", "bridge_after_stage1")
            ]
            lines.append(
                f"| {lang} | {row['level'] or '–'} | {'yes' if row['in_stage1'] else 'no'} | "
                + " | ".join(cells)
                + " |"
            )
    if results.get("lexicons"):
        lines += ["", "## Stage-1 lexicons", "", "| language | entries | origin |", "|---|---|---|"]
        for lang, info in results["lexicons"].items():
            lines.append(f"| {lang} | {info['entries']} | {info['origin']} |")
    lines.append("")
    return "\n".join(lines)


def write_plots(results: dict[str, Any], experiment: Any, out: Path) -> list[str]:
    """Per-language accuracy by resource level, gain vs level, training curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lingualift.io_utils import atomic_open
    from lingualift.training.callbacks import loss_curve

    written = []
    systems = list(results["accuracy"])
    order = sorted(
        results["languages"],
        key=lambda lg: (
            RESOURCE_LEVELS.index(results["languages"][lg]["level"])
            if results["languages"][lg]["level"]
            else 3,
            lg,
        ),
    )
    fig, ax = plt.subplots(figsize=(max(8, 0.3 * len(order) * len(systems) / 2), 4))
    width = 0.8 / len(systems)
    for i, s in enumerate(systems):
        ax.bar(
            np.arange(len(order)) + i * width,
            [results["accuracy"][s][lg] for lg in order],
            width,
            label=SYSTEM_NAMES[s],
        )
    ax.set_xticks(np.arange(len(order)) + 0.4 - width / 2)
    ax.set_xticklabels([f"{lg}\n{results['languages'][lg]['level'] or ''}" for lg in order], fontsize=6)
    ax.set_ylabel("SIB-200 accuracy (%)")
    ax.axhline(100 / 7, color="grey", linestyle=":", linewidth=1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    written.append(_save(fig, out / "accuracy_by_language.png", atomic_open, plt))

    if "lingualift" in systems and "mono_sft" in systems:
        fig, ax = plt.subplots(figsize=(5, 4))
        for x, level in enumerate((*RESOURCE_LEVELS, None)):
            langs = [lg for lg in order if results["languages"][lg]["level"] == level]
            gains = [
                results["accuracy"]["lingualift"][lg] - results["accuracy"]["mono_sft"][lg] for lg in langs
            ]
            ax.scatter([x + np.random.default_rng(0).uniform(-0.15, 0.15) for _ in gains], gains, s=12)
            if gains:
                ax.hlines(np.mean(gains), x - 0.3, x + 0.3, color="black")
        ax.set_xticks(range(4))
        ax.set_xticklabels([*RESOURCE_LEVELS, "no level"])
        ax.axhline(0, color="grey", linewidth=1)
        ax.set_ylabel("LinguaLIFT − Mono-SFT (points)")
        fig.tight_layout()
        written.append(_save(fig, out / "gain_by_level.png", atomic_open, plt))

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in ["stage1", *(f"stage2-{s}" for s in SYSTEMS)]:
        log = experiment.r.get(name, {}).get("loss_log")
        if log and Path(log).is_file():
            curve = loss_curve(log)
            if curve:
                ax.plot(*zip(*curve), label=name, linewidth=1)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    written.append(_save(fig, out / "training_curves.png", atomic_open, plt))
    return written


def _save(fig: Any, path: Path, atomic_open: Any, plt: Any) -> str:
    with atomic_open(path, "wb", encoding=None) as handle:
        fig.savefig(handle, format="png", dpi=120)
    plt.close(fig)
    return str(path)


def write_small_scale_report(experiment: Any) -> dict[str, Any]:
    """Write ``results.json``, ``report.md`` and the plots into the experiment's ``out``."""
    out = Path(experiment.out)
    results = build_results(experiment)
    plots = write_plots(results, experiment, out)
    atomic_write_json(out / "results.json", results)
    atomic_write_text(out / "report.md", render_markdown(results))
    return {"results": str(out / "results.json"), "report": str(out / "report.md"), "plots": plots}
