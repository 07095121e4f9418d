"""The ``lingualift`` command line: one subcommand per area, each registered by its own module.

Each area module exposes ``register(subparsers)`` which adds its parser(s) and sets ``func`` to a callable
taking the parsed namespace and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lingualift.errors import LinguaLiftError

# subcommand modules, in the order they appear in --help
SUBCOMMAND_MODULES = (
    "lingualift.lexicon.cli",
    "lingualift.data.stage1_cli",
    "lingualift.data.cli",
    "lingualift.training.cli",
    "lingualift.evaluation.cli",
    "lingualift.persistence.cli",
    "lingualift.demo",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available subcommand."""
    from lingualift import __version__

    parser = argparse.ArgumentParser(
        prog="lingualift",
        description="Build, align, transfer and evaluate LinguaLIFT-style encoder-bridged LLMs.",
    )
    parser.add_argument("--version", action="version", version=f"lingualift {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # area not built in this checkout
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lingualift`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LinguaLiftError as exc:
        print(f"lingualift {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
