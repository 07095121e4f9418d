#!/usr/bin/env python
"""Parallel scaling law from result files: fit f(N) = a·N^b, First-Parallel Leap and Monolingual
Generalization Gap.

Usage::

    python tools/scaling_law.py --point 1=runs/n1/summary.json --point 2=runs/n2/summary.json \\
        --point 4=runs/n4/summary.json --point 8=runs/n8/summary.json --benchmark mgsm \\
        [--languages bn,sw,th] [--out scaling.json] [--plot scaling.png]

N is the number of training languages including English: N=1 is the monolingual (English-only) baseline,
N=2 English plus one parallel language. Each point is N and the ``summary.json`` of the model trained on
those N languages; f(N) is its mean score over ``--languages`` (default: every language of the benchmark in
that file). The fit uses only the points with N >= 2 (at least two); FPL = f(2) − f(1) needs the N=1 and N=2
points, MGG = f̂(1) − f(1) = a − f(1) the N=1 point. The definitions and the math are in
:mod:`lingualift.evaluation.transfer` (``scaling_points``, ``fit_scaling_law``); this tool parses arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lingualift.errors import LinguaLiftError
from lingualift.evaluation.transfer import fit_scaling_law, plot_scaling_law, scaling_points
from lingualift.io_utils import atomic_write_json

POINT_HELP = (
    "N=path/to/summary.json, repeated: N is the number of training languages including English (1 = the"
    " monolingual English-only baseline, excluded from the fit; the fit needs >= 2 points with N >= 2)"
)


def parse_point(spec: str) -> tuple[int, str]:
    """``"N=path"`` -> ``(N, path)``; N must be an integer (its range is checked by lingualift)."""
    n, sep, path = spec.partition("=")
    try:
        number = int(n.strip()) if sep and path.strip() else None
    except ValueError:
        number = None
    if number is None:
        raise LinguaLiftError(f"--point expects N=path/to/summary.json with an integer N, got {spec!r}")
    return number, path.strip()


def main(argv: list[str] | None = None) -> int:
    paragraphs = __doc__.split("\n\n")
    definition = next(p for p in paragraphs if p.startswith("N is the number of training languages"))
    parser = argparse.ArgumentParser(description=paragraphs[0], epilog=definition.replace("\n", " "))
    parser.add_argument("--point", action="append", required=True, help=POINT_HELP)
    parser.add_argument(
        "--benchmark", default=None, help="benchmark in the summary files (needed if several)"
    )
    parser.add_argument("--languages", default=None, help="comma-separated languages to average f(N) over")
    parser.add_argument("--metric", default="accuracy")
    parser.add_argument("--out", default=None, help="write the fit as JSON here")
    parser.add_argument("--plot", default=None, help="write the fit plot (PNG) here")
    args = parser.parse_args(argv)
    languages = [c.strip() for c in args.languages.split(",")] if args.languages else None
    try:
        summaries: dict[int, str] = {}
        for spec in args.point:
            n, path = parse_point(spec)
            if n in summaries:
                raise LinguaLiftError(f"--point N={n} is given twice ({summaries[n]} and {path}); keep one")
            summaries[n] = path
        fit = fit_scaling_law(scaling_points(summaries, args.benchmark, args.metric, languages))
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
