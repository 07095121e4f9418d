"""Soak test of the long-running paths: stage-1 training and code-switching each run ``--minutes`` with the
resident memory of the process tree sampled every ``--interval`` seconds; a leak shows as a positive slope.

    python benchmarks/bench_soak.py [--minutes 30] [--interval 60] [--data DIR] [--only train|codeswitch]

Training: the tiny stage-1 recipe (random mT5 + Llama built on the spot) with an unbounded step budget and a
checkpoint every 200 steps, so that the loop, the step log and checkpointing all repeat. Code-switching: the
``lingualift codeswitch`` command over a corpus that outlasts the soak (GSM8K questions repeated with a MUSE
en-fr lexicon when ``--data`` holds them, else the tiny stage-1 corpus and a built-in lexicon). Reported per
path: samples, first and peak RSS, peak / first, and the least-squares slope in MB per minute over the samples
after the first two minutes (warm-up excluded), and the CPU seconds the path got. Writes
benchmarks/results/bench_soak.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import tree_rss_mb, write_results  # noqa: E402


def slope_mb_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 2:
        return float("nan")
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return 60.0 * cov / var if var else float("nan")


def soak(command: list[str], minutes: float, interval: float, log: Path, warmup: float = 120.0) -> dict:
    """Run ``command`` for ``minutes`` (stopped then), sampling its tree's RSS every ``interval`` seconds; the
    slope is fitted to the samples after ``warmup`` seconds (model / spaCy loading, first batches)."""
    with open(log, "w", encoding="utf-8") as handle:
        child = subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
    process = psutil.Process(child.pid)
    start, samples = time.monotonic(), []
    while (elapsed := time.monotonic() - start) < minutes * 60 and child.poll() is None:
        samples.append((elapsed, tree_rss_mb(child.pid)))
        time.sleep(interval)
    ended_early = child.poll() is not None
    cpu_seconds = 0.0
    for proc in [*process.children(recursive=True), process]:
        try:
            times = proc.cpu_times()
            cpu_seconds += times.user + times.system
        except psutil.Error:
            pass
    for proc in [*process.children(recursive=True), process]:
        try:
            proc.kill()
        except psutil.Error:
            pass
    child.wait()
    after_warmup = [(t, m) for t, m in samples if t >= warmup] or samples
    return {
        "minutes": round((time.monotonic() - start) / 60, 2),
        "cpu_seconds": round(cpu_seconds, 1),  # what the path got to do (the machine may be shared)
        "warmup_s": warmup,
        "ended_before_the_soak": ended_early,
        "samples_mb": [[round(t), round(m, 1)] for t, m in samples],
        "first_mb": round(samples[0][1], 1) if samples else None,
        "peak_mb": round(max(m for _, m in samples), 1) if samples else None,
        "peak_over_first": round(max(m for _, m in samples) / samples[0][1], 3) if samples else None,
        "slope_mb_per_minute": round(slope_mb_per_minute(after_warmup), 3),
        "log_tail": log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-2:],
    }


def codeswitch_inputs(work: Path, data: Path | None, sentences: int) -> tuple[Path, Path]:
    """A corpus of ``sentences`` lines and an en-fr lexicon (real files when ``data`` has them)."""
    corpus, lexicon = work / "corpus.txt", work / "en-fr.tsv"
    if data and (data / "gsm8k" / "train.jsonl").is_file():
        with open(data / "gsm8k" / "train.jsonl", encoding="utf-8") as handle:
            base = [json.loads(line)["question"].split("\n")[0] for line in handle]
        pairs = [
            line.split()
            for line in open(data / "muse_dictionaries_full" / "en-fr.txt", encoding="utf-8")
            if len(line.split()) == 2
        ]
    else:
        base = [json.loads(line)["output"] for line in open(ROOT / "recipes/data/tiny_stage1.jsonl")]
        pairs = [
            ["the", "le"],
            ["eggs", "œufs"],
            ["day", "jour"],
            ["market", "marché"],
            ["answer", "réponse"],
        ]
    corpus.write_text("".join(base[i % len(base)] + "\n" for i in range(sentences)), encoding="utf-8")
    lexicon.write_text("".join(f"{s}\t{t}\t1.0\n" for s, t in pairs), encoding="utf-8")
    return corpus, lexicon


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument(
        "--data", type=Path, default=None, help="folder with gsm8k/ and muse_dictionaries_full/"
    )
    parser.add_argument("--only", choices=("train", "codeswitch"), default=None)
    args = parser.parse_args()
    results: dict = {"minutes": args.minutes, "interval_s": args.interval, "paths": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "train"):
            command = [
                sys.executable,
                "recipes/stage1_align.py",
                "--config",
                "recipes/configs/stage1/tiny.yaml",
            ]
            command += [f"training.output_dir={work / 'train'}", "training.max_steps=100000000"]
            command += ["training.save_steps=200", "training.save_total_limit=2", "training.logging_steps=50"]
            results["paths"]["stage-1 training (tiny)"] = soak(
                command, args.minutes, args.interval, work / "t.log"
            )
        if args.only in (None, "codeswitch"):
            corpus, lexicon = codeswitch_inputs(work, args.data, sentences=2_000_000)
            command = [sys.executable, "-m", "lingualift.cli", "codeswitch", "--lexicon", str(lexicon)]
            command += ["--input", str(corpus), "--out", str(work / "cs.jsonl"), "--no-progress"]
            results["paths"]["code-switching"] = soak(command, args.minutes, args.interval, work / "c.log")
    rows = [
        f"{'path':<28} {'samples':>7} {'first MB':>9} {'peak MB':>8} {'peak/first':>10} {'MB/min':>8}",
    ]
    for name, r in results["paths"].items():
        rows.append(
            f"{name:<28} {len(r['samples_mb']):>7} {r['first_mb']:>9} {r['peak_mb']:>8}"
            f" {r['peak_over_first']:>10} {r['slope_mb_per_minute']:>8}"
        )
    print("\n".join(rows))
    write_results("bench_soak", results)


if __name__ == "__main__":
    main()
