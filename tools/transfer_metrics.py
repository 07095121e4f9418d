#!/usr/bin/env python
"""Transfer metrics from lingualift result files (``summary.json`` written by ``lingualift evaluate``).

Usage::

    # TI: benchmarks grouped, each benchmark scored by its Avg accuracy; TI relative to the reference group
    python tools/transfer_metrics.py ti --base base/summary.json --tuned tuned/summary.json \\
        --group math=mgsm,msvamp --group other=xnli,xcsqa --reference math
    # MTI: languages of one benchmark, unseen vs training languages
    python tools/transfer_metrics.py mti --base base/summary.json --tuned tuned/summary.json \\
        --benchmark mgsm --train-languages en
    # Spearman correlation of Tatoeba retrieval with task accuracy per language
    python tools/transfer_metrics.py spearman --alignment results/summary.json \\
        --alignment-key tatoeba_bridge --accuracy results/summary.json --benchmark mgsm

Each prints JSON and writes it to ``--out`` when given. The parallel scaling law is ``tools/scaling_law.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lingualift.errors import LinguaLiftError
from lingualift.evaluation.alignment import spearman_correlation
from lingualift.evaluation.transfer import (
    load_benchmark_averages,
    load_language_scores,
    multilingual_transferability_index,
    transferability_index,
)
from lingualift.io_utils import atomic_write_json


def _groups(specs: list[str]) -> dict[str, list[str]]:
    groups = {}
    for spec in specs:
        name, sep, members = spec.partition("=")
        if not sep or not members:
            raise LinguaLiftError(f"--group expects NAME=bench1,bench2, got {spec!r}")
        groups[name] = [m.strip() for m in members.split(",") if m.strip()]
    return groups


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="metric", required=True)
    ti = sub.add_parser("ti", help="Transferability Index over benchmark groups")
    ti.add_argument("--base", required=True)
    ti.add_argument("--tuned", required=True)
    ti.add_argument("--group", action="append", required=True, help="NAME=bench1,bench2 (repeat)")
    ti.add_argument("--reference", required=True, help="the reference group (TI = 100)")
    mti = sub.add_parser("mti", help="Multilingual Transferability Index (unseen vs training languages)")
    mti.add_argument("--base", required=True)
    mti.add_argument("--tuned", required=True)
    mti.add_argument("--benchmark", default=None)
    mti.add_argument("--train-languages", required=True, help="comma-separated training languages")
    sp = sub.add_parser("spearman", help="Spearman correlation of alignment and accuracy per language")
    sp.add_argument("--alignment", required=True, help="summary.json holding the Tatoeba results")
    sp.add_argument("--alignment-key", default="tatoeba_bridge", help="e.g. tatoeba_bridge, tatoeba_encoder")
    sp.add_argument("--accuracy", required=True, help="summary.json holding the task results")
    sp.add_argument("--benchmark", default=None)
    for p in (ti, mti, sp):
        p.add_argument("--out", default=None, help="also write the JSON result here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.metric == "ti":
            result = transferability_index(
                load_benchmark_averages(args.base),
                load_benchmark_averages(args.tuned),
                _groups(args.group),
                args.reference,
            )
        elif args.metric == "mti":
            result = multilingual_transferability_index(
                load_language_scores(args.base, args.benchmark),
                load_language_scores(args.tuned, args.benchmark),
                [c.strip() for c in args.train_languages.split(",") if c.strip()],
            )
        else:
            result = spearman_correlation(
                load_language_scores(args.alignment, args.alignment_key),
                load_language_scores(args.accuracy, args.benchmark),
            )
    except LinguaLiftError as exc:
        print(f"transfer_metrics: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    if args.out:
        atomic_write_json(Path(args.out), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
