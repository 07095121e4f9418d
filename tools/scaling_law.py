#!/usr/bin/env python
"""Parallel scaling law from result files: fit f(N) = a·N^b, First-Parallel Leap and Monolingual
Generalization Gap.

Usage::

    python tools/scaling_law.py --point 1=runs/n1/summary.json --point 2=runs/n2/summary.json \\
        --point 4=runs/n4/summary.json --point 8=runs/n8/summary.json --benchmark mgsm \\
        [--languages bn,sw,th] [--out scaling.json] [--plot scaling.png]

Each point is the number N of parallel training languages and the ``summary.json`` of the model trained on
them; its score is the mean accuracy over ``--languages`` (default: every language of the benchmark in that
file). The fit uses the points with N >= 2; FPL = f(2) − f(1) and MGG = f̂(1) − f(1) need the N=1 (and N=2)
points.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from statistics import mean

from lingualift.errors import LinguaLiftError
from lingualift.evaluation.transfer import fit_scaling_law, load_language_scores, plot_scaling_law
from lingualift.io_utils import atomic_write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--point", action="append", required=True, help="N=path/to/summary.json (repeat)")
    parser.add_argument("--benchmark", default=None)
    parser.add_argument("--languages", default=None, help="comma-separated languages to average")
    parser.add_argument("--metric", default="accuracy")
    parser.add_argument("--out", default=None, help="write the fit as JSON here")
    parser.add_argument("--plot", default=None, help="write the fit plot (PNG) here")
    args = parser.parse_args(argv)
    languages = [c.strip() for c in args.languages.split(",")] if args.languages else None
    try:
        points = {}
        for spec in args.point:
            n, sep, path = spec.partition("=")
            if not sep or not n.strip().isdigit() or int(n) < 1:
                raise LinguaLiftError(f"--point expects N=path with N >= 1, got {spec!r}")
            scores = load_language_scores(path, args.benchmark, args.metric, languages)
            points[int(n)] = mean(scores.values())
        fit = fit_scaling_law(points)
    except LinguaLiftError as exc:
        print(f"scaling_law: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(fit, indent=2))
    if args.out:
        atomic_write_json(Path(args.out), fit)
    if args.plot:
        title = f"{args.benchmark or 'benchmark'}: parallel scaling"
        print(f"plot: {plot_scaling_law(fit, args.plot, title=title)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
