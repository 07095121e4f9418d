"""Parallel-language study on top of the small-scale experiment: does adding parallel (translated) task data
in k languages help, inside and outside the mixture, and does the bridge change the curve?

SIB-200 has the same 701 training sentences in every language, so "English plus k parallel languages" is the
English train split plus the same sentences in k more languages. Each mixture is trained for each system
with the small-scale experiment's recipe, LoRA and **number of optimisation steps** (the English-only run's:
a mixture is a seeded sample of the same size, so every k sees the same number of examples and updates;
what changes is how many languages they come in). The English-only point (k = 0) *is* the small-scale run of
that system: same data, seed and steps, so its checkpoint and evaluation are reused, not retrained.

Steps (cached in ``out/steps``, resumable like the small-scale run): ``data-<mixture>``,
``stage2-<system>-<mixture>``, ``eval-<system>-<mixture>``, then the analysis (recomputed on every run from
the cached evaluations): per system the transfer
matrix, per-run means inside/outside the mixture, MTI and the parallel scaling fit
(:mod:`lingualift.evaluation.transfer_analysis`), and one figure comparing English-only with the largest
mixture by resource level (the "English is not all you need" question at equal budget).
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

from lingualift.errors import ConfigError
from lingualift.experiments.config import SYSTEMS, ParallelStudyConfig, load_experiment_config
from lingualift.experiments.small_scale import SIB200_DIR, SmallScaleExperiment, evaluate_sib200
from lingualift.steps import StepRunner

BASE_LANGUAGE = "en"


class ParallelStudy:
    """Runs the steps of the module docstring; ``run()`` returns the analysis."""

    def __init__(self, config: ParallelStudyConfig, log: Any = print, command: str | None = None):
        self.c = config
        self.log = log
        self.command = command or "lingualift.experiments.ParallelStudy(config).run()"
        overrides = [*config.base_overrides, *([f"data_dir={config.data_dir}"] if config.data_dir else [])]
        self.base = SmallScaleExperiment(
            load_experiment_config(config.base_config, overrides), log=log, command=self.command
        )
        unknown = [s for s in config.systems if s not in SYSTEMS]
        if unknown:
            raise ConfigError(f"systems: unknown {unknown}; choose from {', '.join(SYSTEMS)}")
        self.work, self.out = Path(config.work_dir), Path(config.out)
        self.steps = StepRunner(self.out / "steps", log=log)

    # ------------------------------------------------------------------ plan
    def mixture_languages(self, label: str) -> list[str]:
        """``"en+sw+hi"`` -> ``["en", "sw", "hi"]`` (English first; each language once)."""
        from lingualift.evaluation.transfer_analysis import parse_label

        languages = list(parse_label(label))
        if languages[0] != BASE_LANGUAGE or len(languages) < 2:
            raise ConfigError(
                f"mixtures: {label!r} must be English plus parallel languages (en+LANG...); the English-only"
                " run is the small-scale experiment's"
            )
        return languages

    def run(self) -> dict[str, Any]:
        for label in self.c.mixtures:
            self.mixture_languages(label)  # every label checked before any work
        for system in self.c.systems:
            for label in self.c.mixtures:
                self._step(f"eval-{system}-{label}", lambda s=system, m=label: self.evaluate(s, m))
        # not a cached step: a few seconds over the cached evaluations, so it always covers every run
        # finished so far (a study run system by system, systems=[...], analyses what it has)
        return self.analysis()

    def _step(self, name: str, fn: Any, outputs: tuple[str, ...] = ()) -> dict[str, Any]:
        base = dataclasses.asdict(self.base.c)
        base.pop("data_dir")  # where the data lies does not change a result
        settings = {
            "base": base,
            "evaluation": {"languages": self.c.evaluation_languages, "limit": self.c.eval_limit},
        }
        return self.steps.run(name, fn, outputs, settings=settings)

    # ------------------------------------------------------------------ steps
    def data(self, label: str) -> dict[str, Any]:
        """English plus the mixture's languages from SIB-200 train, shuffled (seeded) and cut to the size of
        the English-only data: the same number of examples for every k."""
        from lingualift.data.sources import write_records
        from lingualift.evaluation.benchmarks import sib200_training_records
        from lingualift.languages import flores_code

        data_dir = self.base.c.data_path(SIB200_DIR)
        seed = self.base.c.seed
        pools = [
            sib200_training_records(data_dir, flores_code(lang), "train", seed=seed)
            for lang in self.mixture_languages(label)
        ]
        size = len(pools[0])
        mixed = [record for pool in pools for record in pool]
        random.Random(f"{seed}/mixture/{label}").shuffle(mixed)
        out = self.work / "data" / f"{label}.jsonl"
        write_records(mixed[:size], out, overwrite=True)
        counts: dict[str, int] = {}
        for record in mixed[:size]:
            counts[record["lang"]] = counts.get(record["lang"], 0) + 1
        return {"file": str(out), "records": size, "per_language": counts}

    def stage2(self, system: str, label: str) -> dict[str, Any]:
        """The small-scale recipe of ``system`` on the mixture, its steps fixed to the English-only run's."""
        from lingualift.training.run import run_stage2

        english = self.base.need(f"stage2-{system}")
        data = self._step(f"data-{label}", lambda: self.data(label), ("file",))
        config = self.base.stage2_config(
            system,
            data["file"],
            self.work / f"stage2-{system}-{label}",
            [*self.c.stage2_overrides, f"training.max_steps={english['global_step']}"],
        )
        result = run_stage2(config)
        return {
            "final_dir": str(result.final_dir),
            "global_step": result.global_step,
            "train_loss": result.train_loss,
            "data": data,
        }

    def evaluate(self, system: str, label: str) -> dict[str, Any]:
        trained = self._step(f"stage2-{system}-{label}", lambda: self.stage2(system, label), ("final_dir",))
        ev = self.base.c.evaluation
        splits = [(ev.sib200_split, lang, self.c.eval_limit) for lang in self.evaluation_languages()]
        per_language = evaluate_sib200(
            trained["final_dir"],
            splits,
            self.base.c.data_path(SIB200_DIR),
            self.work / "eval" / f"{system}-{label}",
            ev.batch_size,
            ev.seed,
        )
        return {"system": system, "mixture": label, "splits": per_language}

    def evaluation_languages(self) -> list[str]:
        return list(self.c.evaluation_languages or self.base.sib200_languages())

    # ------------------------------------------------------------------ analysis
    def _evaluated(self, system: str, label: str) -> dict[str, dict[str, Any]]:
        """Per-language results of one run on the study's languages (English-only: the small-scale run's)."""
        split = self.base.c.evaluation.sib200_split
        if label == BASE_LANGUAGE:
            languages = self.base.need(f"eval-{system}")["splits"][split]
        else:
            languages = self.steps.results[f"eval-{system}-{label}"]["splits"][split]
        wanted = {self._key(lang) for lang in self.evaluation_languages()}
        return {lang: v for lang, v in languages.items() if lang in wanted}

    def scores(self, system: str, label: str) -> dict[str, float]:
        """Per-language accuracy of one run."""
        return {lang: float(v["accuracy"]) for lang, v in self._evaluated(system, label).items()}

    def gain_intervals(self, system: str) -> dict[str, dict[str, Any]]:
        """Per mixture, its mean gain over English-only in points with a 95 % paired-bootstrap interval
        (items resampled jointly across languages; the same ids in both runs), over all evaluation languages,
        those in the mixture and those outside it. Item-sampling noise only: one training run per cell."""
        from lingualift.experiments.report import paired_bootstrap

        c = self.base.c
        english = {lang: v["correct"] for lang, v in self._evaluated(system, BASE_LANGUAGE).items()}
        intervals: dict[str, dict[str, Any]] = {}
        for label in self.c.mixtures:
            run = {lang: v["correct"] for lang, v in self._evaluated(system, label).items()}
            shared = sorted(set(run) & set(english))
            inside = [lang for lang in shared if lang in self.mixture_languages(label)[1:]]
            groups = {"all": shared, "in mixture": inside, "outside": [g for g in shared if g not in inside]}
            intervals[label] = {
                name: paired_bootstrap(run, english, langs, c.evaluation.bootstrap_samples, c.seed)
                for name, langs in groups.items()
            }
        return intervals

    @staticmethod
    def _key(lang: str) -> str:
        from lingualift.languages import flores_language_key, is_flores_code

        return flores_language_key(lang) if is_flores_code(lang) else lang

    def analysis(self) -> dict[str, Any]:
        from lingualift.evaluation.transfer import plot_scaling_law
        from lingualift.evaluation.transfer_analysis import (
            Run,
            analyze_transfer,
            format_transfer_markdown,
            plot_transfer_matrix,
        )
        from lingualift.io_utils import atomic_write_json, atomic_write_text

        results: dict[str, Any] = {}
        for system in self.c.systems:
            runs = [
                Run(label, tuple(label.split("+")), self.scores(system, label))
                for label in (BASE_LANGUAGE, *self.c.mixtures)
            ]
            result = analyze_transfer(runs, base=BASE_LANGUAGE)
            result["gain_intervals"] = self.gain_intervals(system)
            folder = self.out / system
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_json(folder / "transfer.json", result)
            atomic_write_text(
                folder / "transfer.md",
                f"Command: `{self.command}`\n\n"
                + format_transfer_markdown(result)
                + _format_intervals(result["gain_intervals"]),
            )
            if result["matrix"]["sources"]:
                plot_transfer_matrix(result, folder / "transfer_matrix.png")
            if "scaling" in result:
                title = f"{system}: parallel scaling"
                plot_scaling_law(result["scaling"], folder / "scaling.png", title=title)
            results[system] = result
        self._plot_levels(results)
        return {"systems": results, "out": str(self.out)}

    def _plot_levels(self, results: dict[str, Any]) -> None:
        """Mean accuracy by resource level, English-only vs the largest mixture, per system (one PNG)."""
        import numpy as np

        from lingualift.languages import language_info
        from lingualift.plotting import pyplot, save_figure

        largest = max(self.c.mixtures, key=lambda label: len(label.split("+")))
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        evaluated = {language_info(self._key(lang)).resource_level for lang in self.evaluation_languages()}
        levels = [level for level in ("LR", "MR", "HR") if level in evaluated]  # no empty groups
        width = 0.8 / (2 * len(results))
        for i, system in enumerate(results):
            for j, label in enumerate((BASE_LANGUAGE, largest)):
                scores = self.scores(system, label)
                means = [
                    np.mean(
                        [v for lang, v in scores.items() if language_info(lang).resource_level == level]
                        or [np.nan]
                    )
                    for level in levels
                ]
                offset = (2 * i + j) * width - 0.4 + width / 2
                ax.bar(np.arange(len(levels)) + offset, means, width, label=f"{system}: {label}")
        ax.set_xticks(range(len(levels)), levels)
        ax.set_ylabel("SIB-200 accuracy (%)")
        ax.set_title("English-only vs parallel task data (same steps)", fontsize=9)
        ax.legend(fontsize=7)
        save_figure(fig, self.out / "english_vs_parallel.png")


def _format_intervals(intervals: dict[str, dict[str, Any]]) -> str:
    """The gain intervals of :meth:`ParallelStudy.gain_intervals` as a Markdown table."""

    def cell(value: dict[str, Any]) -> str:
        if not value["languages"]:
            return "–"
        return f"{value['diff']:+.1f} [{value['low']:+.1f}, {value['high']:+.1f}]"

    lines = [
        "",
        "## Gain over English-only, points, with 95 % paired-bootstrap intervals (items resampled)",
        "",
        "| run | all languages | in mixture | outside |",
        "|---|---|---|---|",
    ]
    for label, groups in intervals.items():
        lines.append(
            f"| {label} | {cell(groups['all'])} | {cell(groups['in mixture'])} | {cell(groups['outside'])} |"
        )
    lines += ["", "One training run per mixture: the intervals cover item sampling, not training noise.", ""]
    return "\n".join(lines)


__all__ = ["ParallelStudy"]
