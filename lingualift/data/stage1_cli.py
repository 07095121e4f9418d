"""``lingualift codeswitch`` (also ``lingualift data stage1``): code-switch an English corpus with en-XX
lexicons into stage-1 training records.

Example::

    lingualift codeswitch --lexicon en-fr.tsv --lexicon sw=my_lexicon.tsv --input corpus.txt \\
        --ratio 0.8 --pos noun,verb --seed 0 --out stage1.jsonl
"""

from __future__ import annotations

import argparse

from lingualift.codeswitch.pos import POS_GROUPS
from lingualift.codeswitch.switcher import ASSIGNMENTS, CHOICES
from lingualift.errors import ConfigError, OutputError
from lingualift.io_utils import atomic_write_json, check_output_path, path_inputs, same_file


def _key_value(spec: str) -> tuple[str, str]:
    key, sep, value = spec.partition("=")
    if not sep or not key or not value:
        raise ConfigError(f"expected CODE=NAME, got {spec!r}")
    return key, value


def add_stage1_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of a stage-1 build (shared by ``lingualift codeswitch`` and ``lingualift data stage1``)."""
    parser.add_argument(
        "--lexicon",
        action="append",
        required=True,
        metavar="[LANG=]TSV",
        help="en-XX lexicon (source<TAB>target<TAB>score); language from the name en-XX.tsv or LANG=",
    )
    parser.add_argument(
        "--input",
        required=True,
        help="English corpus: .txt (one sentence per line), .jsonl, or a Hub dataset org/name[:split]",
    )
    parser.add_argument("--field", default=None, help="JSONL field holding the text (default: text)")
    parser.add_argument(
        "--out",
        required=True,
        help="output .jsonl file, or a folder for an HF datasets dataset (new; never one of the inputs)",
    )
    parser.add_argument(
        "--format", choices=("jsonl", "hf"), default=None, help="output format (default: by --out)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out (and --stats-json)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="write a JSONL --out through OUT.partial with progress records, and continue an interrupted"
        " build with the same inputs and settings where it stopped",
    )
    parser.add_argument(
        "--ratio", type=float, default=0.8, help="share of eligible words replaced (default 0.8)"
    )
    parser.add_argument(
        "--pos",
        default=None,
        help=f"POS groups to replace, joined by ',' or '+': {', '.join(POS_GROUPS)} (default: all)",
    )
    parser.add_argument(
        "--choice", choices=CHOICES, default="top1", help="translation choice: best score or sampled"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--assign",
        choices=ASSIGNMENTS,
        default="balanced",
        help="balanced: one language per sentence, balanced; all: every sentence in every language",
    )
    parser.add_argument("--keep-unswitched", action="store_true", help="keep sentences with no replaced word")
    parser.add_argument(
        "--replace-stop-words",
        action="store_true",
        help="let stop words be replaced (for the function-word groups adp/pron/aux/cconj)",
    )
    parser.add_argument("--no-lemma", action="store_true", help="do not look words up by their lemma")
    parser.add_argument(
        "--model", default=None, help="spaCy English pipeline name or path (default: installed one)"
    )
    parser.add_argument("--n-process", type=int, default=1, help="spaCy worker processes (default 1)")
    parser.add_argument("--batch-size", type=int, default=256, help="spaCy batch size (default 256)")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="sentence budget: use only the first N sentences that pass the filters",
    )
    parser.add_argument("--min-words", type=int, default=1, help="drop sentences of fewer words")
    parser.add_argument("--max-words", type=int, default=None, help="drop sentences of more words")
    parser.add_argument(
        "--dedupe", action="store_true", help="keep each distinct sentence once (case-insensitive)"
    )
    parser.add_argument(
        "--mix-in", default=None, help="multilingual task records (JSONL instruction/input/output)"
    )
    parser.add_argument(
        "--mix-in-fraction",
        type=float,
        default=None,
        help="share of the output drawn from --mix-in (default: all of it)",
    )
    parser.add_argument(
        "--language-name",
        action="append",
        default=[],
        metavar="CODE=NAME",
        help="English name for a language code not in the built-in table",
    )
    parser.add_argument("--stats-json", default=None, help="also write the statistics as JSON here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_stage1(args: argparse.Namespace) -> int:
    """Build the stage-1 dataset from parsed arguments and print the replacement statistics."""
    from lingualift.data.stage1 import Stage1Options, build_stage1_dataset

    if args.stats_json:  # checked before the work, like --out (build_stage1_dataset checks that one)
        inputs = path_inputs(args.input, args.mix_in, args.lexicon)
        if same_file(args.stats_json, args.out):
            raise OutputError(
                f"--stats-json {args.stats_json}: the same path as --out {args.out}; give the statistics"
                " another file"
            )
        check_output_path(args.stats_json, inputs, args.overwrite, what="statistics file")
    options = Stage1Options(
        field=args.field,
        limit=args.limit,
        min_words=args.min_words,
        max_words=args.max_words,
        dedupe=args.dedupe,
        assign=args.assign,
        keep_unswitched=args.keep_unswitched,
        language_names=dict(_key_value(s) for s in args.language_name),
        mix_in=args.mix_in,
        mix_in_fraction=args.mix_in_fraction,
        output_format=args.format,
        overwrite=args.overwrite,
        resume=args.resume,
        progress=not args.no_progress,
    )
    summary = build_stage1_dataset(
        args.input,
        args.lexicon,
        out=args.out,
        options=options,
        ratio=args.ratio,
        pos=args.pos,
        choice=args.choice,
        seed=args.seed,
        model=args.model,
        n_process=args.n_process,
        batch_size=args.batch_size,
        protect_stop_words=not args.replace_stop_words,
        use_lemma=not args.no_lemma,
    )
    print(summary.stats.format_table())
    filtered = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in summary.filtered.items() if n)
    if filtered:
        print(f"\ncorpus filters dropped: {filtered}")
    print(
        f"\n{summary.sentences} sentences -> {summary.records} records"
        f" ({summary.unswitched_dropped} without any replaced word dropped, {summary.mixed_in} mixed in);"
        f" overall replaced share"
        f" {summary.stats.replaced_share:.3f} (ratio {args.ratio}); wrote {args.out}"
    )
    if args.stats_json:
        atomic_write_json(args.stats_json, summary.to_dict())
        print(f"statistics: {args.stats_json}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lingualift codeswitch``."""
    parser = subparsers.add_parser(
        "codeswitch",
        help="code-switch English text with en-XX lexicons into stage-1 records",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stage1_arguments(parser)
    parser.set_defaults(func=run_stage1)
