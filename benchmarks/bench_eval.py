#!/usr/bin/env python
"""Evaluation throughput (examples/s) of the runner with batch 1 vs 16: tiny bridged model, SmolLM2 (plain)
and SmolLM2 bridged to multilingual-e5 (random bridge), on real MGSM questions with greedy generation.

Usage::

    python benchmarks/bench_eval.py [--examples 16] [--max-new-tokens 48] [--languages en,sw] [--skip-smollm2]

Prints a table and writes ``benchmarks/results/bench_eval.json``. Throughput counts generation time only
(model loading excluded), best of ``--repeats`` interleaved runs; the speed-up is batch 16 over batch 1 in one
process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, write_results

from lingualift.evaluation.runner import evaluate

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mgsm"


def _models(skip_smollm2: bool, workdir: Path):
    from lingualift import LinguaLiftForCausalLM, LinguaLiftProcessor
    from lingualift.modeling.tiny import build_tiny_components

    enc, llm = build_tiny_components(workdir, encoder="mt5", llm="llama")
    processor = LinguaLiftProcessor.from_components(encoder=enc, llm=llm, max_input_length=32, max_length=256)
    torch.manual_seed(0)
    yield (
        "tiny mt5+llama (bridged)",
        (LinguaLiftForCausalLM.from_components(encoder=enc, llm=llm, processor=processor), processor),
    )
    if skip_smollm2:
        return
    from transformers import AutoModelForCausalLM

    from lingualift.artefacts import multilingual_e5_dir, smollm2_dir

    llm_dir = smollm2_dir()
    yield (
        "SmolLM2-135M (plain)",
        (AutoModelForCausalLM.from_pretrained(llm_dir), LinguaLiftProcessor.for_plain_llm(llm_dir)),
    )
    processor = LinguaLiftProcessor.from_components(encoder=multilingual_e5_dir(), llm=llm_dir)
    yield (
        "e5-small+SmolLM2 (bridged)",
        (
            LinguaLiftForCausalLM.from_components(
                encoder=multilingual_e5_dir(), llm=llm_dir, processor=processor
            ),
            processor,
        ),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=16, help="MGSM questions per language")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--languages", default="en,sw")
    parser.add_argument("--skip-smollm2", action="store_true")
    parser.add_argument("--repeats", type=int, default=2, help="runs per batch size, interleaved (best kept)")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"MGSM data not found at {DATA}", file=sys.stderr)
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, pair in _models(args.skip_smollm2, Path(tmp)):
            per_batch: dict[int, dict] = {}
            # interleave the batch sizes and keep each one's best run: the host may be shared and noisy
            for _ in range(args.repeats):
                for batch_size in (1, 16):
                    summary = evaluate(
                        pair,
                        "mgsm",
                        data_dir=DATA,
                        languages=args.languages,
                        limit=args.examples,
                        batch_size=batch_size,
                        out_dir=None,
                        max_new_tokens=args.max_new_tokens,
                        progress=False,
                        plots=False,
                    )
                    best = per_batch.get(batch_size)
                    if (
                        best is None
                        or summary["throughput"]["examples_per_second"] > best["examples_per_second"]
                    ):
                        per_batch[batch_size] = summary["throughput"]
            rows.append(
                {
                    "model": name,
                    "examples": per_batch[1]["examples"],
                    "batch1_ex_per_s": per_batch[1]["examples_per_second"],
                    "batch16_ex_per_s": per_batch[16]["examples_per_second"],
                    "speedup": round(
                        per_batch[16]["examples_per_second"] / per_batch[1]["examples_per_second"], 2
                    ),
                }
            )
            print_table(rows[-1:], f"{name}")
            del pair
    print_table(
        rows,
        f"MGSM {args.languages}, {args.examples} questions/language, greedy {args.max_new_tokens} new tokens",
    )
    write_results("bench_eval", {"rows": rows, "settings": vars(args)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
