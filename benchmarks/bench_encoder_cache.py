"""Stage-1 epoch time with the frozen-encoder cache vs without (the second and later epochs of the paper's
three).

One process, same batches: an epoch of stage-1 steps (bridge trains, encoder and LLM frozen) with the encoder
run on every batch, against the same epoch served from a cache warmed by a first epoch; fastest of
``--repeats`` interleaved runs. Reports the ratio, the cache's size and the encoder's share of an uncached
step.

Usage: python benchmarks/bench_encoder_cache.py [--models tiny,smollm2] [--examples 32] [--batch 8]
       [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, timeit_interleaved, write_results
from bench_model import build

from lingualift.io_utils import read_jsonl

GSM8K = Path(__file__).resolve().parents[2] / "shared" / "data" / "gsm8k"
FALLBACK = Path(__file__).resolve().parents[1] / "recipes" / "data" / "tiny_stage1.jsonl"


def sentences(count: int) -> list[str]:
    """Real English sentences: GSM8K questions when ../shared is present, else the recipe's tiny stage-1
    outputs."""
    real = GSM8K / "train.jsonl"
    source, key = (real, "question") if real.is_file() else (FALLBACK, "output")
    rows = [record[key] for record in read_jsonl(source, required_fields=(key,))]
    return [" ".join(text.split()[:40]) for text in (rows * (count // len(rows) + 1))[:count]]


def measure(name: str, examples: int, batch: int, repeats: int, workdir: Path) -> dict:
    model, processor = build(name, workdir)
    texts = sentences(examples)
    batches = [
        processor(["Translate the following text into English:"] * len(chunk), chunk, responses=chunk)
        for chunk in (texts[i : i + batch] for i in range(0, len(texts), batch))
    ]
    batches = [{k: v.to(model.device) for k, v in b.items()} for b in batches]
    model.configure_stage("align")
    model.train()

    def epoch():
        for b in batches:
            model.zero_grad(set_to_none=True)
            model(**b).loss.backward()

    def uncached():
        model.disable_encoder_cache()
        epoch()

    cache = model.enable_encoder_cache(4096)
    epoch()  # warm: the first epoch fills the cache

    def cached():
        model.encoder_cache = cache
        epoch()

    def encoder_only():
        with torch.no_grad():
            for b in batches:
                model.encoder(input_ids=b["encoder_input_ids"], attention_mask=b["encoder_attention_mask"])

    t = timeit_interleaved({"uncached": uncached, "cached": cached, "encoder": encoder_only}, repeats)
    return {
        "model": name,
        "examples": examples,
        "batch": batch,
        "uncached_epoch_s": t["uncached"],
        "cached_epoch_s": t["cached"],
        "ratio": t["cached"] / t["uncached"],
        "encoder_share": t["encoder"] / t["uncached"],
        "cache_mb": cache.stats.bytes / 2**20,
        "cached_rows": len(cache),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="tiny,smollm2")
    parser.add_argument("--examples", type=int, default=32)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lingualift-bench-"))
    rows = []
    for name in args.models.split(","):
        try:
            rows.append(measure(name, args.examples, args.batch, args.repeats, workdir))
        except Exception as exc:  # a missing artefact package must not hide the tiny figures
            print(f"skipping {name}: {type(exc).__name__}: {exc}")
            continue
        print_table(rows[-1:], name, flush=True)
    print_table(rows, "Stage-1 epoch: encoder cache vs none (ratio < 1 = the cache is faster)")
    write_results("bench_encoder_cache", {"rows": rows, "settings": vars(args)})


if __name__ == "__main__":
    main()
