"""``lingualift train stage1|stage2 --config FILE [key=value ...]`` and the shared entry point of the recipes.

The recipe scripts (``recipes/stage1_align.py``, ``recipes/stage2_task.py``) and the CLI both call
:func:`run_from_args`, so ``python``, ``accelerate launch`` and ``lingualift train`` run exactly the same
code.
"""

from __future__ import annotations

import argparse
import sys

from lingualift.errors import LinguaLiftError

STAGE_HELP = {
    "stage1": "stage 1 (language alignment): train the bridge on code-switched translation records",
    "stage2": "stage 2 (task transfer): fine-tune the LLM (or LoRA) from a stage-1 bridge checkpoint",
}


def add_run_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--config FILE`` plus dotted ``key=value`` overrides."""
    parser.add_argument("--config", required=True, help="YAML run config (see recipes/configs/)")
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="dotted overrides with YAML values, e.g. training.max_steps=10 training.resume=true",
    )
    return parser


def run_from_args(stage: str, args: argparse.Namespace) -> int:
    """Load and validate the config (no model is touched on error), run the stage, print where it saved."""
    from lingualift.training.config import load_config
    from lingualift.training.run import run_stage

    config = load_config(args.config, args.overrides)
    result = run_stage(config, stage)
    done = " (finished in an earlier run: nothing trained)" if result.already_complete else ""
    print(
        f"{stage}: {result.global_step} steps, train loss {result.train_loss:.4f}{done};"
        f" checkpoint: {result.final_dir}; step log: {result.output_dir / 'train_log.jsonl'}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train stage1|stage2`` to the ``lingualift`` command line."""
    train = subparsers.add_parser("train", help="run a training stage from a YAML config")
    stages = train.add_subparsers(dest="stage", metavar="STAGE", required=True)
    for stage, help_text in STAGE_HELP.items():
        parser = add_run_arguments(stages.add_parser(stage, help=help_text, description=help_text))
        parser.set_defaults(func=lambda args, stage=stage: run_from_args(stage, args))


def recipe_main(stage: str, argv: list[str] | None = None) -> int:
    """Entry point of a recipe script: same arguments and errors as ``lingualift train STAGE``."""
    parser = add_run_arguments(argparse.ArgumentParser(prog=f"{stage} recipe", description=STAGE_HELP[stage]))
    args = parser.parse_args(argv)
    try:
        return run_from_args(stage, args)
    except LinguaLiftError as exc:
        print(f"{stage}: error: {exc}", file=sys.stderr)
        return 1


__all__ = ["recipe_main", "register", "run_from_args"]
