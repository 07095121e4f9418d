"""``lingualift evaluate``: run a benchmark on a bridged checkpoint or a plain causal LM and write reports.

Example::

    lingualift evaluate --model runs/stage2 --benchmark mgsm --data-dir data/mgsm \\
        --languages bn,sw,th --batch-size 16 --out results/
    lingualift evaluate --model runs/stage2 --benchmark sib200 --data-dir DIR \\
        --languages swh_Latn,yor_Latn --limit 100 --seed 0 --out results/
"""

from __future__ import annotations

import argparse
import json

from lingualift.evaluation.benchmarks import BENCHMARKS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate a model on MGSM/MSVAMP/MMWP/XNLI/X-CSQA/Tatoeba/SIB-200",
        description="Evaluate a bridged lingualift checkpoint or a plain causal LM (same prompts) on a"
        " benchmark; predictions go to OUT/predictions/BENCHMARK/LANG.jsonl (a re-run resumes), scores to"
        " OUT/summary.json, OUT/report.md and per-language PNG plots.",
    )
    parser.add_argument(
        "--model", required=True, help="checkpoint directory or Hub id (lingualift or plain causal LM)"
    )
    parser.add_argument("--benchmark", required=True, help=f"one of: {', '.join(BENCHMARKS)}")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="directory with the benchmark's files in their public format (default: download by name)",
    )
    parser.add_argument(
        "--languages",
        default="all",
        help="comma-separated ISO codes (default: all of the benchmark); sib200 also takes its folder names"
        " (swh_Latn,yor_Latn), and 'all' means every folder of --data-dir",
    )
    parser.add_argument(
        "--split",
        default=None,
        help="split name (recorded in summary.json and the report): XNLI default test (5,010 pairs per"
        " language; a local XTREME directory, whose test files carry no labels, defaults to dev), X-CSQA"
        " default dev, SIB-200 train/dev/test (default test)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="N examples per language: the first N, or for sib200 a seeded sample balanced over the topics"
        " (the same items in every language)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sib200 --limit sample (default 0)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--out", default="results", help="results directory")
    parser.add_argument("--device", default=None, help="e.g. cuda, cpu (default: where the model loads)")
    parser.add_argument(
        "--dtype", default=None, choices=[None, "float32", "bfloat16", "float16"], help="weights dtype"
    )
    parser.add_argument(
        "--space",
        default=None,
        choices=["encoder", "bridge", "llm", "llm_input", "translation"],
        help="representation space for --benchmark tatoeba (default bridge); 'translation': NLL per token of"
        " the English reference under the stage-1 instruction instead of retrieval",
    )
    parser.add_argument(
        "--off-target-language",
        default=None,
        help="judge responses against this language (e.g. en) instead of the query language",
    )
    parser.add_argument("--overwrite", action="store_true", help="discard earlier predictions in OUT")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--update-card",
        action="store_true",
        help="add the accuracies to the checkpoint's model card (README.md)",
    )
    parser.set_defaults(func=run)
    _register_analyze(subparsers)


def _register_analyze(subparsers: argparse._SubParsersAction) -> None:
    """Add ``analyze transfer``: transfer matrix, parallel scaling law and TI/MTI from a grid of runs."""
    analyze = subparsers.add_parser("analyze", help="analyses over several evaluation results")
    actions = analyze.add_subparsers(dest="analyze_command", metavar="ACTION", required=True)
    transfer = actions.add_parser(
        "transfer",
        help="transfer matrix (ATLAS-style), parallel scaling law and TI/MTI from labelled results",
        description="Each --run is LANGS=PATH: the training languages of a model's task data joined by '+'"
        " (the base, e.g. en, alone; en+sw; en+sw+te) and its `lingualift evaluate` summary.json or results"
        " directory. Writes OUT/transfer.json, OUT/transfer.md and, when there is something to draw,"
        " OUT/transfer_matrix.png and OUT/scaling.png.",
    )
    transfer.add_argument(
        "--run", action="append", required=True, metavar="LANGS=PATH", help="a labelled result (repeat)"
    )
    transfer.add_argument("--benchmark", default=None, help="benchmark in the summaries (if several)")
    transfer.add_argument("--metric", default="accuracy", help="per-language metric (default accuracy)")
    transfer.add_argument("--base", default=None, help="the base run's language (default: the only one)")
    transfer.add_argument(
        "--languages", default=None, help="comma-separated targets (default: all the base run scored)"
    )
    transfer.add_argument("--out", required=True, help="output directory")
    transfer.add_argument("--overwrite", action="store_true", help="replace this command's earlier files")
    transfer.set_defaults(func=run_analyze_transfer)


def run_analyze_transfer(args: argparse.Namespace) -> int:
    """Run ``analyze transfer``: every input read and every output checked before anything is written."""
    from pathlib import Path

    from lingualift.errors import ConfigError
    from lingualift.evaluation.transfer import plot_scaling_law
    from lingualift.evaluation.transfer_analysis import (
        analyze_transfer,
        format_transfer_markdown,
        load_runs,
        plot_transfer_matrix,
    )
    from lingualift.io_utils import atomic_write_json, atomic_write_text, check_output_path, path_inputs

    specs: dict[str, str] = {}
    for spec in args.run:
        label, sep, path = spec.partition("=")
        if not sep or not label.strip() or not path.strip():
            raise ConfigError(f"--run {spec!r}: expected LANGS=PATH, e.g. en+sw=results/en-sw")
        if label.strip() in specs:
            raise ConfigError(f"--run: label {label.strip()!r} given twice")
        specs[label.strip()] = path.strip()
    runs = load_runs(specs, args.benchmark, args.metric)
    targets = [t.strip() for t in args.languages.split(",") if t.strip()] if args.languages else None
    result = analyze_transfer(runs, base=args.base, targets=targets)
    out = Path(args.out)
    names = {"json": "transfer.json", "md": "transfer.md", "matrix": "transfer_matrix.png"}
    names["scaling"] = "scaling.png"
    inputs = path_inputs(*specs.values(), *(Path(p) / "summary.json" for p in specs.values()))
    for name in names.values():
        check_output_path(out / name, inputs, args.overwrite, what="transfer analysis")
    atomic_write_json(out / names["json"], result)
    markdown = format_transfer_markdown(result)
    atomic_write_text(out / names["md"], markdown)
    if result["matrix"]["sources"]:
        plot_transfer_matrix(result, out / names["matrix"])
    if "scaling" in result:
        plot_scaling_law(result["scaling"], out / names["scaling"])
    print(markdown)
    print(f"wrote {out / names['json']}, {out / names['md']}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the evaluation described by the parsed arguments and print the summary table."""
    from lingualift.evaluation.report import benchmark_markdown
    from lingualift.evaluation.runner import EvaluationOptions, evaluate

    options = EvaluationOptions(
        data_dir=args.data_dir,
        languages=args.languages,
        limit=args.limit,
        batch_size=args.batch_size,
        out_dir=args.out,
        max_new_tokens=args.max_new_tokens,
        split=args.split,
        device=args.device,
        dtype=args.dtype,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        off_target_language=args.off_target_language,
        space=args.space,
        plots=not args.no_plots,
        update_card=args.update_card,
        seed=args.seed,
    )
    summary = evaluate(args.model, args.benchmark, options)
    print(benchmark_markdown(summary))
    print(f"results: {args.out}/summary.json")
    if summary.get("throughput"):
        print("throughput: " + json.dumps(summary["throughput"]))
    return 0
