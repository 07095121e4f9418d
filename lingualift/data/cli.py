"""``lingualift data``: build training datasets.

``lingualift data stage1 ...`` is ``lingualift codeswitch ...``; ``lingualift data stage2 --task gsm8k --input
train.jsonl --out stage2.jsonl [--parallel fr=train_fr.jsonl ...]`` converts English task data with the shared
prompts.
"""

from __future__ import annotations

import argparse

from lingualift.data.stage1_cli import _key_value, add_stage1_arguments, run_stage1
from lingualift.data.stage2 import TASK_ALIASES, TASKS, build_stage2_dataset


def run_stage2(args: argparse.Namespace) -> int:
    """Build the stage-2 dataset from parsed arguments and print the record counts per language."""
    summary = build_stage2_dataset(
        args.task,
        args.input,
        args.out,
        lang=args.lang,
        parallel=dict(_key_value(s) for s in args.parallel),
        shuffle=args.shuffle,
        seed=args.seed,
        limit=args.limit,
        output_format=args.format,
        progress=not args.no_progress,
        overwrite=args.overwrite,
    )
    for lang, count in summary.records.items():
        skipped = summary.skipped.get(lang, 0)
        print(f"{lang}: {count} records" + (f" ({skipped} unlabelled rows skipped)" if skipped else ""))
    print(f"wrote {sum(summary.records.values())} {summary.task} records to {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lingualift data stage1`` and ``lingualift data stage2``."""
    parser = subparsers.add_parser(
        "data",
        help="build stage-1 / stage-2 training datasets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="data_command", metavar="STAGE", required=True)
    stage1 = sub.add_parser(
        "stage1", help="code-switched translation records (same as `lingualift codeswitch`)"
    )
    add_stage1_arguments(stage1)
    stage1.set_defaults(func=run_stage1)

    stage2 = sub.add_parser("stage2", help="task records from English task data with the shared prompts")
    stage2.add_argument(
        "--task", required=True, help=f"{', '.join(TASKS)} (aliases: {', '.join(TASK_ALIASES)})"
    )
    stage2.add_argument(
        "--input",
        required=True,
        help="task data: .jsonl, .json (array) or .tsv, or a Hub dataset id org/name[:split]"
        " (e.g. meta-math/MetaMathQA, nvidia/OpenMathInstruct-2:train_1M; offline: the local Hub cache)",
    )
    stage2.add_argument(
        "--out",
        required=True,
        help="output .jsonl file, or a folder for an HF datasets dataset (new; never one of the inputs)",
    )
    stage2.add_argument(
        "--format", choices=("jsonl", "hf"), default=None, help="output format (default: by --out)"
    )
    stage2.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    stage2.add_argument("--lang", default="en", help="language of --input (default en)")
    stage2.add_argument(
        "--parallel",
        action="append",
        default=[],
        metavar="LANG=FILE",
        help="translated copy of the task data to mix in (repeatable)",
    )
    stage2.add_argument("--shuffle", action="store_true", help="shuffle the languages together (seeded)")
    stage2.add_argument("--seed", type=int, default=0)
    stage2.add_argument("--limit", type=int, default=None, help="at most N records per language")
    stage2.add_argument("--no-progress", action="store_true", help="no progress bar")
    stage2.set_defaults(func=run_stage2)
