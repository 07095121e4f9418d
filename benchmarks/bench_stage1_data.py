"""Stage-1 corpus building at scale: ``lingualift data stage1`` over 2k and 20k English sentences into 4
languages: wall time, sentences/s and peak memory of the command (it streams: memory should not grow with
the corpus).

    python benchmarks/bench_stage1_data.py --data DIR [--sizes 2000,20000] [--languages fr,de,es,ru]
        [--n-process 1]

DIR holds gsm8k/train.jsonl (the English sentences: GSM8K training questions split into sentences) and
muse_dictionaries_full/en-XX.txt (the lexicons). Writes benchmarks/results/bench_stage1_data.json.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import tree_rss_mb, write_results  # noqa: E402

SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z])")


def english_sentences(data: Path, count: int) -> list[str]:
    """``count`` distinct sentences of 4+ words from the GSM8K training questions."""
    seen: dict[str, None] = {}
    with open(data / "gsm8k" / "train.jsonl", encoding="utf-8") as handle:
        for line in handle:
            for sentence in SENTENCE_END.split(json.loads(line)["question"].replace("\n", " ")):
                if len(sentence.split()) >= 4:
                    seen.setdefault(sentence.strip(), None)
            if len(seen) >= count:
                break
    if len(seen) < count:
        raise SystemExit(
            f"only {len(seen)} distinct sentences in {data / 'gsm8k/train.jsonl'}, {count} asked"
        )
    return list(seen)[:count]


def muse_lexicon(data: Path, lang: str, out: Path) -> Path:
    """MUSE ``en-XX.txt`` (space-separated pairs) as a lexicon TSV, ranked by position."""
    path = out / f"en-{lang}.tsv"
    rows, rank = [], {}
    for line in open(data / "muse_dictionaries_full" / f"en-{lang}.txt", encoding="utf-8"):
        parts = line.split()
        if len(parts) == 2:
            rank[parts[0]] = rank.get(parts[0], 0) + 1
            rows.append(f"{parts[0]}\t{parts[1]}\t{1.0 / rank[parts[0]]:.3f}\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path


def run_build(corpus: Path, lexicons: list[Path], out: Path, n_process: int) -> dict:
    """Run the command, sampling its process tree's RSS every 0.2 s; wall time and peak RSS."""
    command = [
        sys.executable,
        "-m",
        "lingualift.cli",
        "data",
        "stage1",
        "--input",
        str(corpus),
        "--out",
        str(out),
    ]
    command += [arg for lexicon in lexicons for arg in ("--lexicon", str(lexicon))]
    command += ["--n-process", str(n_process), "--no-progress"]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while child.poll() is None:
        peak = max(peak, tree_rss_mb(child.pid))
        time.sleep(0.2)
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"data stage1 failed ({child.returncode}): {stderr[-2000:]}")
    records = sum(1 for _ in open(out, encoding="utf-8"))
    return {
        "seconds": round(seconds, 1),
        "records": records,
        "peak_rss_mb": round(peak, 1),
        "tail": stdout[-300:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--languages", default="fr,de,es,ru")
    parser.add_argument("--n-process", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    languages = args.languages.split(",")
    results: dict = {"languages": languages, "n_process": args.n_process, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lexicons = [muse_lexicon(args.data, lang, work) for lang in languages]
        sentences = english_sentences(args.data, max(sizes))
        for size in sizes:
            corpus = work / f"corpus-{size}.txt"
            corpus.write_text("".join(s + "\n" for s in sentences[:size]), encoding="utf-8")
            run = run_build(corpus, lexicons, work / f"stage1-{size}.jsonl", args.n_process)
            run["sentences_per_s"] = round(size / run["seconds"], 1)
            results["runs"][str(size)] = run
    small, large = (results["runs"][str(size)] for size in (min(sizes), max(sizes)))
    results["peak_rss_ratio_largest_over_smallest"] = round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)
    print(f"{'sentences':>9} {'records':>8} {'seconds':>8} {'sent/s':>7} {'peak MB':>8}")
    for size, run in results["runs"].items():
        speed, peak = run["sentences_per_s"], run["peak_rss_mb"]
        print(f"{size:>9} {run['records']:>8} {run['seconds']:>8} {speed:>7} {peak:>8}")
    print(f"peak memory {max(sizes)} / {min(sizes)}: {results['peak_rss_ratio_largest_over_smallest']}x")
    write_results("bench_stage1_data", results)


if __name__ == "__main__":
    main()
