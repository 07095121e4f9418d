"""Benchmark lexicon induction: ``robust`` end to end on synthetic rotated vocabularies, and CSLS retrieval.

Usage: ``python benchmarks/bench_lexicon.py [--vocab 200000] [--dim 300] [--queries 20000 50000 200000]``.
Target (issue): 200k × 300 robust end to end ≤ 10 min and ≤ 6 GB on 2 CPU cores (VecMap reports ~5 h on CPU
for such a run). Prints a table and writes ``benchmarks/results/lexicon.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import peak_rss_mb

from lingualift.io_utils import atomic_write_json
from lingualift.lexicon import induce_lexicon
from lingualift.lexicon.evaluate import evaluate_translation
from lingualift.lexicon.retrieval import csls_knn, mean_topk_similarity
from lingualift.lexicon.synthetic import rotated_pair
from lingualift.lexicon.vectors import normalize


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB."""
    return peak_rss_mb() / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, nargs="+", default=[20_000, 50_000, 200_000])
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "lexicon.json"))
    args = parser.parse_args()

    load_start = os.getloadavg()
    src, tgt, gold = rotated_pair(args.vocab, args.dim, args.noise, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, emb in (("src", src), ("tgt", tgt)):
            np.save(Path(tmp) / f"{name}.npy", emb.vectors)
            (Path(tmp) / f"{name}.vocab").write_text("\n".join(emb.words) + "\n", encoding="utf-8")
            paths[name] = str(Path(tmp) / f"{name}.npy")
        rss_before = peak_rss_gb()
        started = time.perf_counter()
        result = induce_lexicon(
            paths["src"],
            paths["tgt"],
            method="robust",
            seeds=(0,),
            max_vocab=args.vocab,
            out_dir=Path(tmp) / "out",
            progress=False,
        )
        robust_seconds = time.perf_counter() - started
        robust_peak = peak_rss_gb()
    x, z = normalize(src.vectors), normalize(tgt.vectors)
    sample = dict(list(gold.items())[:5000])
    p_at_1 = (
        evaluate_translation(x @ result.mapping, z, src, tgt, sample, methods=("csls",))["csls"]["p@1"]
        if result.success
        else None
    )
    rows = [
        {
            "benchmark": f"robust end to end ({args.vocab}×{args.dim})",
            "seconds": round(robust_seconds, 1),
            "peak_rss_gb": round(robust_peak, 2),
            "peak_rss_gb_before_run": round(rss_before, 2),
            "success": result.success,
            "csls_p@1_first_5000": p_at_1,
            "timings": result.report["timings"],
            "lexicon_entries": result.report["lexicon"]["entries"],
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    ]
    payload = {
        "cpu_threads": faiss.omp_get_max_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_start": load_start,
        "rows": rows,
        "args": vars(args),
    }
    print(f"{'benchmark':<48} {'seconds':>9} {'+target r':>10} {'peak GB':>8}  load avg (1 min)")
    print_row(rows[0])
    save(payload, args.out)
    xw = x @ result.mapping if result.success else x
    r_targets_started = time.perf_counter()
    r_targets = mean_topk_similarity(z, xw, 10)  # targets' CSLS term over all mapped sources, shared by all
    r_targets_seconds = time.perf_counter() - r_targets_started
    payload["csls_target_r_seconds"] = round(r_targets_seconds, 1)
    for n in args.queries:  # each row is printed and saved as soon as it finishes
        n = min(n, len(xw))
        started = time.perf_counter()
        r_queries = mean_topk_similarity(xw[:n], z, 10)
        csls_knn(xw[:n], z, 10, r_queries=r_queries, r_base=r_targets)
        seconds = time.perf_counter() - started
        rows.append(
            {
                "benchmark": f"CSLS top-10, {n} queries × {len(z)} targets",
                "seconds": round(seconds, 1),
                "seconds_incl_target_r": round(seconds + r_targets_seconds, 1),
                "peak_rss_gb": round(peak_rss_gb(), 2),
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
        print_row(rows[-1])
        save(payload, args.out)
    print(f"wrote {args.out}")


def print_row(row: dict) -> None:
    print(
        f"{row['benchmark']:<48} {row['seconds']:>9} {row.get('seconds_incl_target_r', ''):>10} "
        f"{row['peak_rss_gb']:>8}  {row['load_average_1min']}",
        flush=True,
    )


def save(payload: dict, path: str) -> None:
    payload["load_average_end"] = os.getloadavg()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, payload)


if __name__ == "__main__":
    main()
