"""The evaluation runner: benchmark × languages → predictions on disk → scores → summary and report.

Usage::

    from lingualift.evaluation import evaluate
    summary = evaluate("runs/stage2", benchmark="mgsm", data_dir="data/mgsm",
                       languages=["bn", "sw"], batch_size=16, out_dir="results/")
    # or one options object, e.g. shared by several runs
    options = EvaluationOptions(data_dir="data/mgsm", languages=["bn", "sw"], out_dir="results/")
    summary = evaluate("runs/stage2", "mgsm", options)
    summary["languages"]["bn"]["accuracy"]

Predictions go to ``out_dir/predictions/{benchmark}/{lang}.jsonl`` as each language finishes; while a language
runs, every batch is appended to ``{lang}.partial.jsonl``, so an interrupted run resumes where it stopped (the
run settings in ``run.json`` must match, else a clear error). Examples are generated longest-first in
length-sorted batches (less padding), and written back in the original order.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from lingualift.errors import ConfigError
from lingualift.evaluation.backends import EvaluationBackend, load_backend
from lingualift.evaluation.benchmarks import (
    Example,
    get_benchmark,
    load_benchmark,
    resolve_languages,
    resolve_split,
)
from lingualift.evaluation.prompts import instruction_for
from lingualift.evaluation.scoring import (
    group_averages,
    score_choice_record,
    score_math_record,
    summarize_language,
)
from lingualift.io_utils import atomic_write_json, atomic_write_jsonl
from lingualift.options import with_settings

RUN_FILE = "run.json"


TRANSLATION_SPACE = "translation"  # Tatoeba scored by translation likelihood instead of retrieval


def _read_partial(path: Path) -> dict[str, dict[str, Any]]:
    """Records already written by an interrupted run (a torn last line is ignored)."""
    done: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "id" in record:
            done[record["id"]] = record
    return done


def _check_run_settings(pred_dir: Path, settings: dict[str, Any], overwrite: bool) -> None:
    run_path = pred_dir / RUN_FILE
    if run_path.is_file() and not overwrite:
        previous = json.loads(run_path.read_text(encoding="utf-8"))
        changed = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
        if changed:
            details = "; ".join(f"{k}: {previous.get(k)!r} -> {settings.get(k)!r}" for k in changed)
            raise ConfigError(
                f"{pred_dir} holds predictions from different settings ({details}); use another --out"
                " directory or --overwrite"
            )
    if overwrite and pred_dir.is_dir():
        for old in list(pred_dir.glob("*.jsonl")):
            old.unlink()
    atomic_write_json(run_path, settings)


def _raw_record(example: Example, task: str) -> dict[str, Any]:
    record = {"id": example.id, "language": example.language, "question": example.question}
    if task == "math":
        record["gold"] = example.answer
        record["gold_text"] = example.answer_text
    else:
        record["choices"] = list(example.choices)
        record["label"] = example.label
    return record


def _run_language(
    backend: EvaluationBackend,
    examples: list[Example],
    task: str,
    instruction: str,
    batch_size: int,
    max_new_tokens: int,
    partial_path: Path,
    progress: bool,
    desc: str,
) -> tuple[list[dict[str, Any]], int, float]:
    """Predict every example not yet in ``partial_path``; returns (records in input order, new count,
    seconds)."""
    done = _read_partial(partial_path)
    todo = sorted((ex for ex in examples if ex.id not in done), key=lambda ex: -len(ex.question))
    started = time.perf_counter()
    bar = tqdm(
        total=len(examples), initial=len(examples) - len(todo), desc=desc, unit="ex", disable=not progress
    )
    partial_path.parent.mkdir(parents=True, exist_ok=True)
    with open(partial_path, "a", encoding="utf-8") as handle:
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            instructions = [instruction] * len(chunk)
            inputs = [ex.question for ex in chunk]
            if task == "math":
                outputs = backend.generate(instructions, inputs, max_new_tokens)
                if len(outputs) != len(chunk):
                    raise RuntimeError(f"backend returned {len(outputs)} responses for {len(chunk)} prompts")
                new = [{**_raw_record(ex, task), "response": out} for ex, out in zip(chunk, outputs)]
            else:
                scores = backend.score_options(instructions, inputs, [list(ex.choices) for ex in chunk])
                new = [{**_raw_record(ex, task), "scores": s} for ex, s in zip(chunk, scores)]
            for record in new:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                done[record["id"]] = record
            handle.flush()
            bar.update(len(chunk))
    bar.close()
    elapsed = time.perf_counter() - started
    return [done[ex.id] for ex in examples], len(todo), elapsed


@dataclass(frozen=True)
class EvaluationOptions:
    """The settings of :func:`evaluate` (the ``lingualift evaluate`` flags), checked on construction.

    Data: ``data_dir`` (a local benchmark folder; None loads the benchmark's public source by name),
    ``languages`` (codes or SIB-200 folder names; None = all the benchmark has), ``split``, ``limit`` and
    the ``seed`` of the sample a limit takes where the benchmark samples (SIB-200: topic-balanced, the same
    items in every language) instead of taking the first rows. Inference: ``batch_size``, ``max_new_tokens``
    (math answers), ``device``, ``dtype``. Scoring: ``off_target_language`` judges responses against this
    language (e.g. ``"en"`` for a model meant to reason in English) instead of the query language;
    ``space`` is Tatoeba's (``bridge``/``encoder``/..., or ``"translation"`` for translation likelihood).
    Outputs: ``out_dir`` (None writes nothing), ``overwrite``, ``plots``, ``update_card`` (add the
    per-language accuracy to the model card of the evaluated lingualift checkpoint directory), ``progress``.
    """

    data_dir: str | Path | None = None
    languages: Sequence[str] | str | None = None
    split: str | None = None
    limit: int | None = None
    seed: int = 0
    batch_size: int = 16
    max_new_tokens: int = 256
    device: Any = None
    dtype: Any = None
    off_target_language: str | None = None
    space: str | None = None
    out_dir: str | Path | None = "results"
    overwrite: bool = False
    plots: bool = True
    update_card: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("batch_size", "max_new_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if self.limit is not None and (
            isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1
        ):
            raise ConfigError(f"limit must be an integer >= 1, got {self.limit!r}")


def evaluate(
    model_or_dir: Any,
    benchmark: str = "mgsm",
    options: EvaluationOptions | None = None,
    *,
    processor: Any = None,
    **settings: Any,
) -> dict[str, Any]:
    """Evaluate a model on one benchmark; returns the benchmark summary (also merged into
    ``out_dir/summary.json``).

    ``model_or_dir``: a checkpoint directory or Hub id, a ``(model, processor)`` pair, a model with
    ``processor=``, or an :class:`EvaluationBackend`. ``options``: an :class:`EvaluationOptions`; keyword
    ``settings`` override its fields (``evaluate(model, "sib200", data_dir=DIR, limit=50)``). For
    ``benchmark="tatoeba"`` this runs :func:`lingualift.evaluation.alignment.tatoeba_retrieval` in ``space``,
    or, with ``space="translation"``, :func:`lingualift.evaluation.translation.translation_likelihood`.
    """
    options = with_settings(EvaluationOptions, options, settings)
    data_dir, limit, seed = options.data_dir, options.limit, options.seed
    spec = get_benchmark(benchmark)
    if options.space is not None and spec.task != "retrieval":
        raise ConfigError(
            f"space={options.space!r} applies to --benchmark tatoeba only; {spec.name} is scored on the"
            " model's answers (drop --space, or use --benchmark tatoeba)"
        )
    langs = resolve_languages(spec, options.languages, data_dir)
    if options.update_card:
        _checkpoint_dir_for_card(model_or_dir)  # fail before any work when there is no card to update
    split = resolve_split(
        spec, options.split, data_dir, langs
    )  # one split for every language, recorded below
    # load the data first: a missing or malformed file fails before any model is loaded
    data = {
        lang: load_benchmark(spec.name, lang, data_dir, split=split, limit=limit, seed=seed) for lang in langs
    }
    if spec.task == "retrieval":
        return _evaluate_retrieval(model_or_dir, processor, langs, split, options)
    backend = load_backend(model_or_dir, processor=processor, device=options.device, dtype=options.dtype)
    instruction = instruction_for(spec.name, spec.task)
    out = Path(options.out_dir) if options.out_dir is not None else None
    pred_dir = out / "predictions" / spec.name if out is not None else None
    if pred_dir is not None:
        run_settings = {
            "benchmark": spec.name,
            "split": split,
            "backend": backend.describe(),
            "instruction": instruction,
            "max_new_tokens": options.max_new_tokens if spec.task == "math" else None,
        }
        _check_run_settings(pred_dir, run_settings, options.overwrite)

    per_language: dict[str, Any] = {}
    generated, seconds = 0, 0.0
    # without out_dir, the per-batch partial files live in a scratch directory removed at the end
    scratch = tempfile.TemporaryDirectory(prefix="lingualift-eval-")
    for lang in langs:
        final_path = pred_dir / f"{lang}.jsonl" if pred_dir is not None else None
        if final_path is not None and final_path.is_file():
            previous = {r["id"]: r for r in _read_partial(final_path).values()}
            if all(ex.id in previous for ex in data[lang]):
                raw = [previous[ex.id] for ex in data[lang]]
                per_language[lang] = _score(raw, spec.task, options.off_target_language, final_path=None)
                continue
        partial_path = (pred_dir or Path(scratch.name)) / f"{lang}.partial.jsonl"
        if final_path is not None and final_path.is_file():  # a larger --limit than before: extend
            with open(partial_path, "a", encoding="utf-8") as handle:
                handle.write(final_path.read_text(encoding="utf-8"))
        raw, new, elapsed = _run_language(
            backend,
            data[lang],
            spec.task,
            instruction,
            options.batch_size,
            options.max_new_tokens,
            partial_path,
            options.progress,
            desc=f"{spec.name}/{lang}",
        )
        generated, seconds = generated + new, seconds + elapsed
        per_language[lang] = _score(raw, spec.task, options.off_target_language, final_path=final_path)
        partial_path.unlink(missing_ok=True)
    scratch.cleanup()

    summary = {
        "benchmark": spec.name,
        "task": spec.task,
        "model": backend.describe()["name"],
        "split": split,
        "instruction": instruction,
        "languages": {lang: per_language[lang]["summary"] for lang in langs},
        "groups": group_averages(
            {lang: per_language[lang]["summary"]["accuracy"] for lang in langs}, benchmark=spec.name
        ),
        "throughput": {
            "examples": generated,
            "seconds": round(seconds, 3),
            "examples_per_second": round(generated / seconds, 3) if seconds > 0 else None,
        },
    }
    if spec.subset is not None:  # which items a limit took, so runs with the same subset can be compared
        summary["subset"] = {
            "limit": limit,
            "seed": seed if limit is not None else None,
            "method": "stratified" if limit is not None else "all",
        }
    if spec.task == "math":
        summary["strict_groups"] = group_averages(
            {lang: per_language[lang]["summary"]["strict_accuracy"] for lang in langs},
            "strict_accuracy",
            benchmark=spec.name,
        )
    if out is not None:
        from lingualift.evaluation.report import write_reports

        write_reports(out, summary, plots=options.plots)
    if options.update_card:
        _record_in_card(model_or_dir, getattr(backend, "model", None), summary)
    return summary


def _record_in_card(model_or_dir: Any, model: Any, summary: dict[str, Any], name: str | None = None) -> None:
    """Write ``summary``'s accuracies into the card of the evaluated lingualift checkpoint directory."""
    from lingualift.persistence.checkpoints import record_evaluation

    record_evaluation(model, _checkpoint_dir_for_card(model_or_dir), summary, name=name)


def _checkpoint_dir_for_card(model_or_dir: Any) -> Path:
    from lingualift.persistence.checkpoints import CHECKPOINT_META

    directory = Path(model_or_dir) if isinstance(model_or_dir, (str, os.PathLike)) else None
    if directory is None or not (directory / CHECKPOINT_META).is_file():
        raise ConfigError(
            f"update_card needs a lingualift checkpoint directory (with {CHECKPOINT_META}),"
            f" got {model_or_dir!r}"
        )
    return directory


def _score(
    raw: list[dict[str, Any]], task: str, off_target_language: str | None, final_path: Path | None
) -> dict[str, Any]:
    if task == "math":
        scored = [score_math_record(r, off_target_language) for r in raw]
    else:
        scored = [score_choice_record(r) for r in raw]
    if final_path is not None:
        atomic_write_jsonl(final_path, scored)
    return {"records": scored, "summary": summarize_language(scored, task)}


def _evaluate_retrieval(
    model_or_dir: Any, processor: Any, langs: list[str], split: str, options: EvaluationOptions
) -> dict[str, Any]:
    from lingualift.evaluation.alignment import tatoeba_retrieval
    from lingualift.evaluation.translation import translation_likelihood

    data_dir, limit, batch_size, space = options.data_dir, options.limit, options.batch_size, options.space
    space = space or "bridge"
    model, processor = _model_and_processor(model_or_dir, processor)
    if space == TRANSLATION_SPACE:
        results = translation_likelihood(
            (model, processor), data_dir, langs, limit=limit, batch_size=batch_size
        )
        metric = "nll_per_token"
    else:
        results = tatoeba_retrieval(
            model, processor, data_dir, langs, limit=limit, space=space, batch_size=batch_size
        )
        metric = "accuracy"
    summary = {
        "benchmark": "tatoeba",
        "task": "retrieval" if metric == "accuracy" else "translation",
        "space": space,
        "model": str(getattr(model, "name_or_path", type(model).__name__)),
        "split": split,
        "languages": results,
        "groups": group_averages(
            {lang: results[lang][metric] for lang in langs}, metric, benchmark="tatoeba"
        ),
    }
    if options.out_dir is not None:
        from lingualift.evaluation.report import write_reports

        write_reports(Path(options.out_dir), summary, plots=options.plots, key=f"tatoeba_{space}")
    if options.update_card and metric == "accuracy":
        _record_in_card(model_or_dir, model, summary, name=f"tatoeba ({space})")
    return summary


def _model_and_processor(model_or_dir: Any, processor: Any) -> tuple[Any, Any]:
    if isinstance(model_or_dir, tuple):
        return model_or_dir
    if processor is not None:
        return model_or_dir, processor
    backend = load_backend(model_or_dir)
    if not hasattr(backend, "model"):
        raise ConfigError("tatoeba retrieval needs a transformers model, not a scripted backend")
    return backend.model, backend.processor
