"""``lingualift lexicon``: ``induce`` a bilingual lexicon and ``evaluate`` a mapping from the command line.

Exit codes: 0 success; 1 bad input or a refused output (the CLI prints the error); 3 induction ran but
failed detection (no lexicon written; see ``DIR/report.json``, or ``DIR/report.failed.json`` when DIR holds an
earlier successful run, which is left as it was).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from lingualift.lexicon.adversarial import (
    CPU_HIDDEN,
    CPU_STEPS_PER_EPOCH,
    GPU_HIDDEN,
    GPU_STEPS_PER_EPOCH,
    AdversarialOptions,
)
from lingualift.lexicon.induce import METHODS, InductionOptions, induce_lexicon
from lingualift.lexicon.output import FILTERS
from lingualift.lexicon.robust import RobustOptions

FAILED_EXIT_CODE = 3
SPEC_HELP = "vectors: FILE.vec[.gz], FILE.npy (vocabulary FILE.vocab beside it) or spacy:PACKAGE"


def _add_vector_args(parser: argparse.ArgumentParser, several_targets: bool = False) -> None:
    parser.add_argument("--src", required=True, help=f"source {SPEC_HELP}")
    if several_targets:
        parser.add_argument(
            "--tgt",
            required=True,
            action="append",
            metavar="[LANG=]VECTORS",
            help=f"target {SPEC_HELP}; repeat as LANG=VECTORS for several target languages: the source"
            " vectors load once and each language is written to OUT/SRC-LANG/",
        )
    else:
        parser.add_argument("--tgt", required=True, help=f"target {SPEC_HELP}")
    parser.add_argument(
        "--src-lang", help="source language code (wordfreq re-ranking; spaCy gives it itself)"
    )
    parser.add_argument("--tgt-lang", help="target language code")
    parser.add_argument(
        "--max-vocab", type=int, default=200_000, help="most frequent words to load (default 200000)"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lexicon induce`` and ``lexicon evaluate``."""
    lexicon = subparsers.add_parser("lexicon", help="unsupervised bilingual lexicon induction (FAISS)")
    commands = lexicon.add_subparsers(dest="lexicon_command", metavar="ACTION", required=True)

    induce = commands.add_parser(
        "induce", help="learn a mapping and write lexicon.tsv, mapping.npy, report.json"
    )
    _add_vector_args(induce, several_targets=True)
    induce.add_argument("--method", choices=METHODS, default="robust")
    induce.add_argument(
        "--out",
        required=True,
        help="output directory (with LANG=VECTORS targets: the parent of one SRC-LANG directory each)",
    )
    induce.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier successful run in --out (a failed run never touches it)",
    )
    induce.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], help="random seeds to try (default 0 1 2)"
    )
    induce.add_argument(
        "--all-seeds",
        action="store_true",
        help="run every seed and keep the best criterion "
        "(default: stop at the first seed that passes failure detection)",
    )
    induce.add_argument("--seed-dictionary", help="MUSE-format 'src tgt' file (method supervised)")
    induce.add_argument(
        "--refine-iterations", type=int, help="Procrustes refinement rounds (supervised/identical)"
    )
    induce.add_argument(
        "--lexicon-words", type=int, default=50_000, help="source/target words in the lexicon"
    )
    induce.add_argument("--k", type=int, default=3, help="candidates per source word (default 3)")
    induce.add_argument(
        "--filter", choices=FILTERS, default="mutual", help="mutual NN (default) or score threshold"
    )
    induce.add_argument(
        "--min-score", type=float, help="minimum CSLS score (default 0 for --filter threshold)"
    )
    induce.add_argument(
        "--dict-vocab", type=int, default=RobustOptions.dict_vocab, help="robust: dictionary vocabulary"
    )
    induce.add_argument(
        "--explore-vocab",
        type=int,
        default=RobustOptions.explore_vocab,
        help="robust: vocabulary of the stochastic phase",
    )
    induce.add_argument(
        "--max-iterations",
        type=int,
        default=RobustOptions.max_iterations,
        help="robust: cap on stochastic self-learning rounds",
    )
    induce.add_argument(
        "--adv-epochs", type=int, default=AdversarialOptions.epochs, help="adversarial: epochs"
    )
    induce.add_argument(
        "--adv-steps",
        type=int,
        help=f"adversarial: map updates per epoch (default "
        f"{CPU_STEPS_PER_EPOCH} on CPU, the paper's {GPU_STEPS_PER_EPOCH} on GPU)",
    )
    induce.add_argument(
        "--adv-hidden",
        type=int,
        help=f"adversarial: discriminator width (default {CPU_HIDDEN} "
        f"on CPU, the paper's {GPU_HIDDEN} on GPU)",
    )
    induce.add_argument(
        "--evaluate", metavar="DICTIONARY", help="also report P@k against this gold dictionary"
    )
    induce.add_argument("--quiet", action="store_true", help="no progress bars")
    induce.set_defaults(func=run_induce)

    evaluate = commands.add_parser(
        "evaluate", help="P@1/5/10 (NN and CSLS) of a mapping on a MUSE dictionary"
    )
    _add_vector_args(evaluate)
    evaluate.add_argument("--mapping", required=True, help="mapping.npy written by 'lexicon induce'")
    evaluate.add_argument("--dictionary", required=True, help="MUSE-format 'src tgt' file")
    evaluate.add_argument("--json", help="also write the result to this JSON file")
    evaluate.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    evaluate.set_defaults(func=run_evaluate)


def target_languages(specs: list[str]) -> dict[str, str] | None:
    """``{lang: vectors}`` of ``--tgt LANG=VECTORS`` arguments, or None for the one-target form ``--tgt
    VECTORS``; ConfigError for a mix of the forms or a language named twice."""
    from lingualift.errors import ConfigError

    named = [spec.partition("=") for spec in specs]
    if len(specs) == 1 and not named[0][1]:
        return None
    unnamed = [spec for spec, (lang, sep, _) in zip(specs, named) if not sep or not lang]
    if unnamed:
        raise ConfigError(
            f"--tgt {unnamed[0]!r}: with several targets name each language, --tgt LANG=VECTORS"
            " (e.g. --tgt sw=cc.sw.300.vec --tgt te=cc.te.300.vec)"
        )
    targets: dict[str, str] = {}
    for lang, _, vectors in named:
        if lang in targets:
            raise ConfigError(f"--tgt: language {lang!r} given twice ({targets[lang]}, {vectors})")
        targets[lang] = vectors
    return targets


def _induce_options(args: argparse.Namespace) -> InductionOptions:
    """The :func:`induce_lexicon` settings shared by every target."""
    return InductionOptions(
        method=args.method,
        seeds=args.seeds,
        all_seeds=args.all_seeds,
        max_vocab=args.max_vocab,
        src_lang=args.src_lang,
        seed_dictionary=args.seed_dictionary,
        lexicon_words=args.lexicon_words,
        lexicon_k=args.k,
        lexicon_filter=args.filter,
        min_score=args.min_score,
        robust=RobustOptions(
            dict_vocab=args.dict_vocab, explore_vocab=args.explore_vocab, max_iterations=args.max_iterations
        ),
        adversarial=AdversarialOptions(
            epochs=args.adv_epochs, steps_per_epoch=args.adv_steps, dis_hidden=args.adv_hidden
        ),
        refine_iterations=args.refine_iterations,
        evaluate_dictionary=args.evaluate,
        progress=not args.quiet,
        overwrite=args.overwrite,
    )


def run_induce(args: argparse.Namespace) -> int:
    """Run ``lexicon induce`` (one target, or several ``LANG=VECTORS`` targets sharing the source side)."""
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    targets = target_languages(args.tgt)
    if targets is not None:
        return _induce_many(args, targets)
    result = induce_lexicon(
        args.src, args.tgt[0], _induce_options(args), out_dir=args.out, tgt_lang=args.tgt_lang
    )
    return _print_run(args.method, args.out, result)


def _print_run(method: str, out: str, result) -> int:
    """One run's outcome line (stderr when it failed); the CLI's exit code for it."""
    report = result.report
    if not result.success:
        kept = f"; the earlier run in {out} is unchanged" if report.get("earlier_run_kept") else ""
        print(
            f"lingualift lexicon induce: {result.failure}; no lexicon written"
            f" (see {report['files']['report']}){kept}",
            file=sys.stderr,
        )
        return FAILED_EXIT_CODE
    print(
        f"{method}: criterion {report['criterion']:.4f} (seed {report['selected_seed']}), "
        f"{report['lexicon']['entries']} entries in {report['timings']['total_seconds']:.1f}s -> {out}"
    )
    if "evaluation" in report:
        _print_evaluation(report["evaluation"])
    return 0


def _induce_many(args: argparse.Namespace, targets: dict[str, str]) -> int:
    """Every target language against one load of the source vectors (its reading, frequency re-ranking and
    truncation done once); each output directory and vector file is checked before anything loads."""
    from pathlib import Path

    from lingualift.errors import InputDataError
    from lingualift.io_utils import path_inputs
    from lingualift.lexicon.output import check_run_output
    from lingualift.lexicon.vectors import SPACY_PREFIX, load_embeddings

    if args.tgt_lang:
        from lingualift.errors import ConfigError

        raise ConfigError("--tgt-lang names the one target of --tgt VECTORS; with LANG=VECTORS drop it")
    source_name = args.src_lang or "src"
    outputs = {lang: Path(args.out) / f"{source_name}-{lang}" for lang in targets}
    missing = [
        f"{lang}={spec}"
        for lang, spec in targets.items()
        if not spec.startswith(SPACY_PREFIX) and not Path(spec).is_file()
    ]
    if missing:
        raise InputDataError(f"--tgt: vector files not found: {', '.join(missing)}")
    for lang, out in outputs.items():
        check_run_output(out, path_inputs(args.src, targets[lang]), args.overwrite)
    source = load_embeddings(args.src, max_vocab=args.max_vocab, lang=args.src_lang)
    options = _induce_options(args)
    codes = {}
    for lang, spec in targets.items():
        result = induce_lexicon(source, spec, options, out_dir=outputs[lang], tgt_lang=lang)
        codes[lang] = _print_run(f"{args.method} {source_name}-{lang}", str(outputs[lang]), result)
    failed = [lang for lang, code in codes.items() if code]
    print(
        f"{len(targets) - len(failed)}/{len(targets)} lexicons written under {args.out}"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return FAILED_EXIT_CODE if failed else 0


def _print_evaluation(result: dict) -> None:
    print(f"coverage {result['coverage']:.1%} ({result['covered_words']}/{result['dictionary_words']} words)")
    for method in ("nn", "csls"):
        if method in result:
            print(
                f"{method:>5}: "
                + "  ".join(f"{key.upper()} {value:.4f}" for key, value in result[method].items())
            )


def run_evaluate(args: argparse.Namespace) -> int:
    """Run ``lexicon evaluate``."""
    from lingualift.io_utils import atomic_write_json, check_output_path, path_inputs
    from lingualift.lexicon.evaluate import evaluate_mapping

    if args.json:  # before the work
        inputs = path_inputs(args.src, args.tgt, args.mapping, args.dictionary)
        check_output_path(args.json, inputs, args.overwrite, what="evaluation result")
    result = evaluate_mapping(
        args.src,
        args.tgt,
        args.mapping,
        args.dictionary,
        max_vocab=args.max_vocab,
        src_lang=args.src_lang,
        tgt_lang=args.tgt_lang,
    )
    _print_evaluation(result)
    if args.json:
        atomic_write_json(args.json, result)
        print(f"wrote {args.json}")
    else:
        print(json.dumps({m: result[m] for m in ("nn", "csls")}))
    return 0
