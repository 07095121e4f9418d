"""ParScale generation cost on SmolLM2-135M (CPU): per-token latency and peak memory for P = 1, 2, 4, 8
streams at batch 1 and 8, next to plain models built from SmolLM2's config with more layers (the "more
parameters" alternative ParScale is compared with: the paper finds P streams worth about N·(1 + k·log P)
parameters, so several depths are measured), and training throughput per P.

    python benchmarks/bench_parscale.py [--new-tokens 16] [--prompt 32] [--streams 1,2,4,8] [--batches 1,8]

Each configuration runs in its own process (peak RSS is per process: the kernel's high-water mark after the
model is loaded and reset), greedy generation with the KV cache after one warm-up. Figures are ratios to the
base model (P = 1) measured in the same run. Writes benchmarks/results/bench_parscale.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, print_table, reset_peak_rss, write_results


def _model(kind: str, streams: int, prefix: int, layers_factor: float):
    """The base (P = 1), a P-stream ParScale wrapper, or a random plain model with ``layers_factor``× the
    layers (rounded to whole layers)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    import lingualift  # noqa: F401
    from lingualift.artefacts import smollm2_dir
    from lingualift.modeling import ParScaleForCausalLM

    base_dir = smollm2_dir()
    if kind == "deeper":
        config = AutoConfig.from_pretrained(base_dir)
        config.num_hidden_layers = round(config.num_hidden_layers * layers_factor)
        torch.manual_seed(0)
        return AutoModelForCausalLM.from_config(config).eval()
    base = AutoModelForCausalLM.from_pretrained(base_dir).eval()
    if kind == "base":
        return base
    return ParScaleForCausalLM.from_base(base, parscale_streams=streams, prefix_length=prefix).eval()


def measure(
    kind: str, streams: int, prefix: int, layers_factor: float, batch: int, prompt: int, new: int
) -> dict:
    """One configuration, in this process: seconds per generated token, peak RSS during generation, training
    tokens per second (forward + backward of the trainable part on the prompt batch)."""
    import torch

    torch.manual_seed(0)
    model = _model(kind, streams, prefix, layers_factor)
    ids = torch.randint(100, 20000, (batch, prompt))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=2, do_sample=False)  # warm-up
        reset_peak_rss()
        started = time.perf_counter()
        model.generate(
            input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, do_sample=False
        )
        seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    started = time.perf_counter()
    loss = model(input_ids=ids, attention_mask=mask, labels=ids).loss
    loss.backward()
    train_seconds = time.perf_counter() - started
    return {
        "seconds_per_token": seconds / new,
        "peak_rss_mb": peak,
        "train_tokens_per_second": batch * prompt / train_seconds,
        "parameters_m": sum(p.numel() for p in model.parameters()) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--prompt", type=int, default=32)
    parser.add_argument("--prefix", type=int, default=48)
    parser.add_argument("--streams", default="1,2,4,8")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument(
        "--deeper", default="1.25,1.5,2", help="layer factors of the plain comparison models ('' for none)"
    )
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a single configuration (JSON)
    args = parser.parse_args()
    if args.one:
        spec = json.loads(args.one)
        print(json.dumps(measure(**spec)))
        return
    configurations = []
    for batch in (int(b) for b in args.batches.split(",")):
        for streams in (int(s) for s in args.streams.split(",")):
            kind = "base" if streams == 1 else "parscale"
            configurations.append({"kind": kind, "streams": streams, "layers_factor": 1, "batch": batch})
        for factor in (float(f) for f in args.deeper.split(",") if f and float(f) > 0):
            configurations.append({"kind": "deeper", "streams": 1, "layers_factor": factor, "batch": batch})
    rows = []
    for spec in configurations:
        spec = {**spec, "prefix": args.prefix, "prompt": args.prompt, "new": args.new_tokens}
        done = subprocess.run(
            [sys.executable, __file__, "--one", json.dumps(spec)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
        label = {"base": "base (P=1)", "parscale": f"ParScale P={spec['streams']}"}.get(
            spec["kind"], f"plain, {spec['layers_factor']:g}x layers"
        )
        rows.append({"model": label, "batch": spec["batch"], **result})
        print(json.dumps(rows[-1]), flush=True)
    for batch in {row["batch"] for row in rows}:
        base = next(r for r in rows if r["batch"] == batch and r["model"] == "base (P=1)")
        for row in rows:
            if row["batch"] == batch:
                row["latency_x_base"] = row["seconds_per_token"] / base["seconds_per_token"]
                row["memory_x_base"] = row["peak_rss_mb"] / base["peak_rss_mb"]
                row["train_throughput_x_base"] = (
                    row["train_tokens_per_second"] / base["train_tokens_per_second"]
                )
    print_table(rows, "ParScale generation on SmolLM2-135M (CPU; ratios to P=1 in the same run)")
    write_results(
        "bench_parscale",
        {"settings": vars(args), "rows": rows},
    )


if __name__ == "__main__":
    main()
