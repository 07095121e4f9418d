"""Code-switching throughput (sentences/s) on GSM8K questions with 1 and 2 spaCy processes.

Baseline, measured in the same process: the complete spaCy pipeline (parser and lemmatizer included) parsing
the same questions, i.e. what a naive ``nlp.pipe`` over the default pipeline costs before any switching is
done.

    python benchmarks/bench_codeswitch.py [--n 1000] [--data ../shared/data]
Writes benchmarks/results/bench_codeswitch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_questions(data: Path, n: int) -> list[str]:
    with open(data / "gsm8k" / "train.jsonl", encoding="utf-8") as handle:
        return [json.loads(line)["question"] for _, line in zip(range(n), handle)]


def load_muse_lexicon(data: Path, lang: str) -> dict[str, list[str]]:
    """MUSE ``src tgt`` pairs as a ranked mapping (a real k-candidate lexicon)."""
    lexicon: dict[str, list[str]] = {}
    with open(data / "muse_dictionaries_full" / f"en-{lang}.txt", encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 2:
                lexicon.setdefault(parts[0], []).append(parts[1])
    return lexicon


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="GSM8K questions to process")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_codeswitch.json")
    args = parser.parse_args()

    import spacy

    from lingualift.codeswitch import CodeSwitcher, SwitchStats, load_english_pipeline
    from lingualift.codeswitch.pipeline import default_model_name

    questions = load_questions(args.data, args.n)
    lexicon = load_muse_lexicon(args.data, "fr")
    words = sum(len(q.split()) for q in questions)
    rows = []

    full = spacy.load(default_model_name())
    list(full.pipe(questions[:50]))  # warm-up
    seconds, _ = timed(lambda: list(full.pipe(questions, batch_size=args.batch_size)))
    baseline = len(questions) / seconds
    rows.append(
        {
            "config": f"baseline: full pipeline parse only ({'+'.join(full.pipe_names)})",
            "processes": 1,
            "seconds": seconds,
            "sentences_per_s": baseline,
        }
    )

    nlp = load_english_pipeline()
    for n_process in (1, 2):
        switcher = CodeSwitcher(
            {"fr": lexicon},
            ratio=0.8,
            seed=0,
            nlp=nlp,
            n_process=n_process,
            batch_size=args.batch_size if n_process == 1 else 64,
        )
        switcher.switch(questions[:50])  # warm-up (and lemmatizer caches)
        stats = SwitchStats()
        seconds, results = timed(lambda sw=switcher: list(sw.iter_switch(questions)))
        for result in results:
            stats.add(result)
        rows.append(
            {
                "config": f"CodeSwitcher ({'+'.join(nlp.pipe_names)}) + switching",
                "processes": n_process,
                "seconds": seconds,
                "sentences_per_s": len(questions) / seconds,
                "replaced_share": stats.replaced_share,
            }
        )

    for row in rows:
        row["per_process"] = row["sentences_per_s"] / row["processes"]
        row["vs_baseline"] = row["sentences_per_s"] / baseline
    header = f"{'config':<78} {'proc':>4} {'sent/s':>8} {'per proc':>8} {'x base':>6}"
    print(
        f"GSM8K questions: {len(questions)} ({words / len(questions):.1f} words each), "
        f"CPU cores: {os.cpu_count()}, load avg: {os.getloadavg()[0]:.2f}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['config']:<78} {row['processes']:>4} {row['sentences_per_s']:>8.1f}"
            f" {row['per_process']:>8.1f} {row['vs_baseline']:>6.2f}"
        )
    print(f"replaced share of eligible words at ratio 0.8: {rows[-1]['replaced_share']:.4f}")
    result = {
        "benchmark": "codeswitch",
        "n_sentences": len(questions),
        "words_per_sentence": words / len(questions),
        "model": default_model_name(),
        "spacy": spacy.__version__,
        "cpu_count": os.cpu_count(),
        "load_avg_1min": os.getloadavg()[0],
        "platform": platform.platform(),
        "processor": platform.processor(),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
