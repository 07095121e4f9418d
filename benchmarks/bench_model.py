"""Bridged model vs bare LLM: generation throughput, stage-1 train step cost and peak memory.

Same LLM, same total prompt length, same number of new tokens. Reports
- generation tokens/s of the bridged model ÷ the bare LLM, with the encoder pass included and excluded;
- the stage-1 train step (frozen encoder + frozen LLM, bridge trains) ÷ a bare-LLM forward+backward of the
  same sequence, with and without the encoder forward;
- peak memory (CUDA allocator peak on GPU; process peak RSS on CPU, reset after loading so it covers the
  operation, measured in a fresh subprocess per case), with the memory held by the loaded models and the
  operation's extra.

Usage: python benchmarks/bench_model.py [--models tiny,smollm2] [--batch 4] [--input-words 48]
       [--new-tokens 32]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    current_rss_mb,
    peak_rss_mb,
    print_table,
    reset_peak_rss,
    timeit_interleaved,
    write_results,
)

from lingualift import LinguaLiftForCausalLM, LinguaLiftProcessor

SENTENCE = "Janet's ducks lay sixteen eggs per day and she sells the remainder at the market every morning"


def build(name: str, workdir: Path) -> tuple[LinguaLiftForCausalLM, LinguaLiftProcessor]:
    """The bridged model and its processor for a named configuration (tiny random, or the real SmolLM2 +
    multilingual-e5)."""
    if name == "tiny":
        from lingualift.modeling.tiny import build_tiny_components

        enc, llm = build_tiny_components(workdir, encoder="mt5", llm="llama", llm_hidden=64)
    else:
        from lingualift.artefacts import multilingual_e5_dir, smollm2_dir

        enc, llm = multilingual_e5_dir(), smollm2_dir()
    dtype = torch.bfloat16 if torch.cuda.is_available() else None
    processor = LinguaLiftProcessor.from_components(enc, llm)
    model = LinguaLiftForCausalLM.from_components(encoder=enc, llm=llm, processor=processor, dtype=dtype)
    return model.to("cuda" if torch.cuda.is_available() else "cpu").eval(), processor


def make_batches(model: LinguaLiftForCausalLM, processor: LinguaLiftProcessor, batch: int, input_words: int):
    """A bridged batch and a bare-LLM batch with identical shapes and attention masks."""
    words = (SENTENCE.split() * (input_words // 10 + 1))[:input_words]
    inputs = [" ".join(words[: input_words - i]) for i in range(batch)]
    bridged = processor(["Translate the following text into English:"] * batch, inputs)
    bridged_train = processor(
        ["Translate the following text into English:"] * batch, inputs, responses=inputs
    )
    device = model.device
    bridged = {k: v.to(device) for k, v in bridged.items()}
    bridged_train = {k: v.to(device) for k, v in bridged_train.items()}
    vocab = processor.llm_tokenizer.vocab_size
    gen = torch.Generator().manual_seed(0)
    bare = {
        "input_ids": torch.randint(10, vocab - 10, bridged["input_ids"].shape, generator=gen).to(device),
        "attention_mask": bridged["attention_mask"],
    }
    bare_train = {
        "input_ids": torch.randint(10, vocab - 10, bridged_train["input_ids"].shape, generator=gen).to(
            device
        ),
        "attention_mask": bridged_train["attention_mask"],
        "labels": bridged_train["labels"],
    }
    return bridged, bare, bridged_train, bare_train


def measure(name: str, batch: int, input_words: int, new_tokens: int, repeats: int, workdir: Path) -> dict:
    model, processor = build(name, workdir)
    llm = model.language_model
    bridged, bare, bridged_train, bare_train = make_batches(model, processor, batch, input_words)
    gen_kwargs = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens, "do_sample": False}
    n_new = batch * new_tokens

    with torch.no_grad():
        t = timeit_interleaved(
            {
                "bridged": lambda: model.generate(**bridged, **gen_kwargs),
                "bare": lambda: llm.generate(**bare, **gen_kwargs),
                "encoder": lambda: model.encode(
                    bridged["encoder_input_ids"], bridged["encoder_attention_mask"]
                ),
            },
            repeats,
        )
    t_bridged, t_bare, t_encoder = t["bridged"], t["bare"], t["encoder"]

    model.configure_stage("align")
    model.train()

    def stage1_step():
        model.zero_grad(set_to_none=True)
        model(**bridged_train).loss.backward()

    def bare_step():
        llm.zero_grad(set_to_none=True)
        llm(**bare_train).loss.backward()

    def encoder_forward():
        with torch.no_grad():
            model.encode(bridged_train["encoder_input_ids"], bridged_train["encoder_attention_mask"])

    def bare_step_all_trainable():
        llm.requires_grad_(True)
        bare_step()
        model.configure_stage("align")

    t = timeit_interleaved(
        {"stage1": stage1_step, "bare": bare_step_all_trainable, "encoder": encoder_forward}, repeats
    )
    t_stage1, t_bare_step, t_enc_train = t["stage1"], t["bare"], t["encoder"]
    return {
        "model": name,
        "batch": batch,
        "prompt_tokens": int(bridged["input_ids"].shape[1]),
        "encoder_tokens": int(bridged["encoder_input_ids"].shape[1]),
        "train_tokens": int(bridged_train["input_ids"].shape[1]),
        "new_tokens": new_tokens,
        "bridged_tok_s": n_new / t_bridged,
        "bare_tok_s": n_new / t_bare,
        "gen_ratio_incl_encoder": t_bare / t_bridged,
        "gen_ratio_excl_encoder": t_bare / max(t_bridged - t_encoder, 1e-9),
        "encoder_ms": 1000 * t_encoder,
        "stage1_step_ms": 1000 * t_stage1,
        "bare_fwd_bwd_ms": 1000 * t_bare_step,
        "step_ratio": t_stage1 / t_bare_step,
        "step_ratio_excl_encoder": (t_stage1 - t_enc_train) / t_bare_step,
    }


def _peak_memory_child(name, mode, batch, input_words, new_tokens, workdir, queue):
    torch.manual_seed(0)
    model, processor = build(name, Path(workdir))
    bridged, bare, bridged_train, bare_train = make_batches(model, processor, batch, input_words)
    import gc

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        baseline = torch.cuda.memory_allocated() / 2**20
        torch.cuda.reset_peak_memory_stats()
    else:
        baseline = current_rss_mb()
        reset_peak_rss()
    if mode == "bridged_generate":
        with torch.no_grad():
            model.generate(**bridged, max_new_tokens=new_tokens, do_sample=False)
    elif mode == "bare_generate":
        with torch.no_grad():
            model.language_model.generate(**bare, max_new_tokens=new_tokens, do_sample=False)
    elif mode == "stage1_step":
        model.configure_stage("align")
        model.train()
        model(**bridged_train).loss.backward()
    else:
        model.language_model.requires_grad_(True)
        model.language_model(**bare_train).loss.backward()
    peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else peak_rss_mb()
    queue.put(
        {
            "mode": mode,
            "peak_mb": round(peak, 1),
            "models_mb": round(baseline, 1),
            "extra_mb": round(peak - baseline, 1),
        }
    )


def peak_memory(name: str, batch: int, input_words: int, new_tokens: int, workdir: Path) -> list[dict]:
    ctx = mp.get_context("spawn")
    rows = []
    for mode in ("bridged_generate", "bare_generate", "stage1_step", "bare_fwd_bwd"):
        queue = ctx.Queue()
        proc = ctx.Process(
            target=_peak_memory_child, args=(name, mode, batch, input_words, new_tokens, str(workdir), queue)
        )
        proc.start()
        result = queue.get()
        proc.join()
        rows.append({"model": name, **result})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="tiny,smollm2")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--input-words", type=int, default=48)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument(
        "--repeats", type=int, default=5, help="interleaved runs per case; the fastest is kept"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the per-case peak-memory subprocesses")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lingualift-bench-"))
    speed, memory = [], []
    for name in args.models.split(","):
        try:
            speed.append(measure(name, args.batch, args.input_words, args.new_tokens, args.repeats, workdir))
        except Exception as exc:  # a missing artefact package must not hide the tiny figures
            print(f"skipping {name}: {type(exc).__name__}: {exc}")
            continue
        print_table(speed[-1:], f"{name}: bridged vs bare LLM", flush=True)
        if not args.no_memory:
            memory += peak_memory(name, args.batch, args.input_words, args.new_tokens, workdir)
    print_table(
        speed, "Generation and stage-1 step: bridged vs bare LLM (ratios > 1 = bridged faster for gen)"
    )
    print_table(
        memory,
        "Peak memory (MB; CUDA allocator peak on GPU, process peak RSS on CPU; models_mb = after loading)",
    )
    write_results("bench_model", {"speed": speed, "memory": memory})


if __name__ == "__main__":
    main()
