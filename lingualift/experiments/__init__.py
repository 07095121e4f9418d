"""Experiment recipes built from the package's steps: ``small_scale`` reproduces LinguaLIFT's claim on a
CPU; ``parallel`` runs the parallel-language and transfer-matrix studies over it; ``parscale`` compares P
parallel decoder streams after equal post-training."""

from collections.abc import Callable
from typing import Any

from lingualift.experiments.config import (
    ParallelStudyConfig,
    ParScaleStudyConfig,
    SmallScaleConfig,
    load_experiment_config,
)
from lingualift.experiments.parallel import ParallelStudy
from lingualift.experiments.parscale import ParScaleStudy
from lingualift.experiments.small_scale import SmallScaleExperiment

__all__ = [
    "ParScaleStudy",
    "ParScaleStudyConfig",
    "ParallelStudy",
    "ParallelStudyConfig",
    "SmallScaleConfig",
    "SmallScaleExperiment",
    "load_experiment_config",
    "main",
    "main_parallel",
    "main_parscale",
]


def main(argv: list[str] | None = None) -> int:
    """``python recipes/small_scale.py --config FILE [key=value ...] [--until STEP]``."""
    import argparse
    import sys

    from lingualift.errors import LinguaLiftError

    parser = argparse.ArgumentParser(prog="small_scale", description=SmallScaleExperiment.__doc__)
    parser.add_argument("--config", required=True, help="experiment YAML (recipes/configs/experiments/)")
    parser.add_argument("--until", default=None, help="stop after this step (e.g. stage1)")
    parser.add_argument(
        "--report-so-far",
        action="store_true",
        help="write the report from the finished steps only (runs nothing else; says what is missing)",
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE", help="dotted overrides, e.g. data_dir=DIR"
    )
    args = parser.parse_args(argv)
    try:
        config = load_experiment_config(args.config, args.overrides)
        command = " ".join(["python recipes/small_scale.py --config", args.config, *args.overrides])
        experiment = SmallScaleExperiment(config, command=command)
        if args.report_so_far:
            experiment.report_so_far()
        else:
            experiment.run(until=args.until)
    except LinguaLiftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _main_study(
    script: str,
    study: type,
    schema: type,
    argv: list[str] | None,
    flags: Callable[[Any], None] | None = None,
    act: Callable[[Any, Any], Any] | None = None,
) -> int:
    """``python recipes/<script>.py --config FILE [key=value ...]``: one study config, run resumably;
    ``flags`` adds a study's own options, ``act(study, args)`` replaces ``study.run()`` when given."""
    import argparse
    import sys

    from lingualift.errors import LinguaLiftError

    parser = argparse.ArgumentParser(prog=script, description=study.__doc__)
    parser.add_argument("--config", required=True, help="study YAML (recipes/configs/experiments/)")
    if flags is not None:
        flags(parser)
    parser.add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE", help="dotted overrides, e.g. data_dir=DIR"
    )
    args = parser.parse_args(argv)
    try:
        config = load_experiment_config(args.config, args.overrides, schema=schema)
        command = " ".join([f"python recipes/{script}.py --config", args.config, *args.overrides])
        runner = study(config, command=command)
        act(runner, args) if act is not None else runner.run()
    except LinguaLiftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main_parallel(argv: list[str] | None = None) -> int:
    """``python recipes/parallel_languages.py --config FILE [key=value ...]``."""
    return _main_study("parallel_languages", ParallelStudy, ParallelStudyConfig, argv)


def main_parscale(argv: list[str] | None = None) -> int:
    """``python recipes/parscale_post_training.py --config FILE [--streams-alone P] [key=value ...]``."""

    def flags(parser: Any) -> None:
        parser.add_argument(
            "--streams-alone",
            type=int,
            metavar="P",
            help="after the study: score each stream of the trained P-stream model on its own"
            " (writes streams_alone-P<P>.json/.md beside the report)",
        )

    def act(study: ParScaleStudy, args: Any) -> None:
        study.run()
        if args.streams_alone is not None:
            study.streams_alone(args.streams_alone)

    return _main_study("parscale_post_training", ParScaleStudy, ParScaleStudyConfig, argv, flags, act)
