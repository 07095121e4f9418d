"""Training throughput of both stages and the cost of running the frozen encoder under autograd.

For the tiny config (random tiny mT5 + Llama) and the SmolLM2 config (multilingual-e5-small + SmolLM2-135M):
stage-1 and stage-2 runs through the real recipe path (HF Trainer), reporting tokens/s (non-padding LLM
tokens), samples/s and peak memory (CUDA peak allocated on GPU, else the worker process's peak RSS; each run
is its own process). Then the stage-1 step (forward + backward + optimizer step) with the encoder under
``torch.no_grad`` (lingualift) versus the naive way (encoder parameters left requiring grad, its graph built
and back-propagated), timed on the same batch in the same process.

    python benchmarks/bench_train.py [--configs tiny smollm2] [--steps 8] [--step-repeats 10]
Writes benchmarks/results/train.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "train.json"
CONFIGS = {
    "tiny": ("recipes/configs/stage1/tiny.yaml", "recipes/configs/stage2/tiny.yaml"),
    "smollm2": ("recipes/configs/stage1/smollm2_e5_cpu.yaml", "recipes/configs/stage2/smollm2_e5_cpu.yaml"),
}


def _peak_memory_mb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker_train(config_path: str, overrides: list[str], stage: str) -> dict:
    """One stage run through the recipe code; throughput from the Trainer's own counters."""
    from lingualift.training import load_config, run_stage1, run_stage2

    config = load_config(config_path, overrides)
    result = (run_stage1 if stage == "stage1" else run_stage2)(config)
    metrics = result.metrics
    runtime = float(metrics["train_runtime"])
    samples = result.global_step * config.training.global_batch_size
    return {
        "steps": result.global_step,
        "runtime_s": runtime,
        "tokens_per_s": float(result.trainer.state.num_input_tokens_seen) / runtime,
        "samples_per_s": samples / runtime,
        "peak_memory_mb": _peak_memory_mb(),
        "final_loss": result.train_loss,
    }


def worker_step_ratio(config_path: str, overrides: list[str], repeats: int) -> dict:
    """Stage-1 step time with the encoder under no_grad vs under autograd, same batch, same process."""
    import torch

    from lingualift.training import load_config
    from lingualift.training.data import InstructionCollator, load_records
    from lingualift.training.run import build_model

    config = load_config(config_path, overrides)
    torch.manual_seed(0)
    model, processor = build_model(config)
    model.configure_stage("align")
    model.train()
    records = load_records(config.data.train_file)[: config.training.per_device_batch_size]
    batch = InstructionCollator(processor)(records)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step() -> None:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    lingualift_encode = model.encode

    def naive_encode(ids, mask=None):  # the naive way: the frozen encoder stays under autograd
        return model.bridge(model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state)

    def use(naive: bool) -> None:
        model.encoder.requires_grad_(naive)
        model.encode = naive_encode if naive else lingualift_encode

    # interleave the two ways step by step so that load drift on a shared machine hits both alike
    times: dict[bool, list[float]] = {False: [], True: []}
    for naive in (False, True):
        use(naive)
        step()  # warm-up
    for _ in range(repeats):
        for naive in (False, True):
            use(naive)
            start = time.perf_counter()
            step()
            times[naive].append(time.perf_counter() - start)
    lingualift_s, naive_s = (sorted(times[k])[len(times[k]) // 2] for k in (False, True))  # medians
    return {
        "step_s_encoder_no_grad": lingualift_s,
        "step_s_encoder_autograd": naive_s,
        "ratio": lingualift_s / naive_s,
        "batch": len(records),
    }


def _run_worker(args: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *args], check=False, cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--step-repeats", type=int, default=10)
    parser.add_argument("--worker", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.worker:
        kind, config_path, *rest = args.worker
        if kind == "ratio":
            out = worker_step_ratio(config_path, rest[1:], int(rest[0]))
        else:
            out = worker_train(config_path, rest, kind)
        print(json.dumps(out))
        return

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.configs:
            stage1_cfg, stage2_cfg = CONFIGS[name]
            s1_out, s2_out = Path(tmp) / f"{name}-s1", Path(tmp) / f"{name}-s2"
            # the encoder cache (benchmarks/bench_encoder_cache.py) stays off: these figures are the uncached
            # path
            common = [
                f"training.max_steps={args.steps}",
                f"training.save_steps={args.steps}",
                "training.report_to=[none]",
                "model.encoder_cache_mb=0",
            ]
            s1 = _run_worker(["stage1", stage1_cfg, *common, f"training.output_dir={s1_out}"])
            s2 = _run_worker(
                [
                    "stage2",
                    stage2_cfg,
                    *common,
                    f"training.output_dir={s2_out}",
                    f"stage.bridge_checkpoint={s1_out / 'final'}",
                ]
            )
            ratio = _run_worker(
                [
                    "ratio",
                    stage1_cfg,
                    str(args.step_repeats),
                    f"training.output_dir={s1_out}",
                    "training.resume=true",
                    "model.encoder_cache_mb=0",
                ]
            )
            rows.append({"config": name, "stage1": s1, "stage2": s2, "encoder_no_grad_vs_autograd": ratio})

    header = (
        f"{'config':8} {'stage':6} {'tokens/s':>9} {'samples/s':>9} {'peak MB':>8} | "
        f"{'step no_grad':>12} {'step autograd':>13} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        r = row["encoder_no_grad_vs_autograd"]
        for stage in ("stage1", "stage2"):
            s = row[stage]
            tail = (
                (
                    f"{r['step_s_encoder_no_grad'] * 1e3:10.1f}ms"
                    f" {r['step_s_encoder_autograd'] * 1e3:11.1f}ms"
                    f" {r['ratio']:6.2f}"
                )
                if stage == "stage1"
                else ""
            )
            print(
                f"{row['config']:8} {stage:6} {s['tokens_per_s']:9.0f} {s['samples_per_s']:9.2f}"
                f" {s['peak_memory_mb']:8.0f} | {tail}"
            )
    import torch

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "torch_threads": torch.get_num_threads(),
        "steps": args.steps,
        "cpu_count": os.cpu_count(),
        "rows": rows,
    }
    from lingualift.io_utils import atomic_write_json

    atomic_write_json(RESULTS, payload)
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    main()
