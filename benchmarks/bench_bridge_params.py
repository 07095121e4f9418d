"""Parameter counts of the linear / mlp2 / mlp3 bridge for mT5-large (d=1024) and mT5-xl (d=2048) encoders
into Llama-2-7B (d=4096), from configs only (no weights), and the ``bridge_hidden_size`` that reproduces the
paper's Table 24 (linear 4M, 2-layer 10M, 3-layer 14M).

Each count is taken twice and checked equal: from the :class:`LanguageAlignmentBridge` module built on the
meta device (shapes, no memory) and from the closed-form formula
:func:`lingualift.modeling.bridge.bridge_parameter_count`. Counts are of the projection (weights + biases);
the two boundary embeddings (``<enc_start>``/``<enc_end>``, 2·4096) are listed apart.

The paper's numbers are whole millions, so the hidden size is solved exactly for each one and then as the
range of integer widths whose counts give 10M and 14M both, rounded to the nearest million or truncated.

Usage: python benchmarks/bench_bridge_params.py
(prints a table, writes benchmarks/results/bridge_params.json)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, write_results

from lingualift.modeling.bridge import LanguageAlignmentBridge, bridge_parameter_count
from lingualift.modeling.configuration import BRIDGE_TYPES, LinguaLiftConfig

ENCODERS = {"mT5-large": 1024, "mT5-xl": 2048}  # d_model of google/mt5-large, google/mt5-xl
LLM = ("Llama-2-7B", 4096)  # hidden_size of meta-llama/Llama-2-7b-hf
PAPER_TABLE_24 = {"linear": 4_000_000, "mlp2": 10_000_000, "mlp3": 14_000_000}  # Table 24, in parameters
CANDIDATE = 2048  # the round width the solution below points at


def module_count(d_in: int, d_out: int, bridge_type: str, hidden: int | None) -> tuple[int, int]:
    """(projection, boundary) parameter counts of the bridge module built on the meta device from configs."""
    from transformers import AutoConfig

    config = LinguaLiftConfig(
        encoder_config=AutoConfig.for_model("mt5", d_model=d_in),
        text_config=AutoConfig.for_model("llama", hidden_size=d_out),
        bridge_type=bridge_type,
        bridge_hidden_size=hidden,
    )
    with torch.device("meta"):
        bridge = LanguageAlignmentBridge(config)
    projection = sum(p.numel() for p in bridge.proj.parameters())
    return projection, bridge.enc_start.numel() + bridge.enc_end.numel()


def count_row(encoder: str, bridge_type: str, hidden: int | None) -> dict[str, Any]:
    """One table row; raises when the module's count and the formula's disagree."""
    d_in, d_out = ENCODERS[encoder], LLM[1]
    projection, boundaries = module_count(d_in, d_out, bridge_type, hidden)
    formula = bridge_parameter_count(bridge_type, d_in, d_out, hidden, boundaries=False)
    if projection != formula or boundaries != 2 * d_out:
        raise AssertionError(
            f"{encoder} {bridge_type} h={hidden}: module {projection} (+{boundaries}) != formula {formula}"
        )
    return {
        "encoder": f"{encoder} ({d_in})",
        "bridge": bridge_type,
        "bridge_hidden_size": "-" if bridge_type == "linear" else (hidden or f"{d_out} (default)"),
        "params": projection,
        "params_M": round(projection / 1e6, 2),
        "with_boundaries": projection + boundaries,
        "module_equals_formula": True,
    }


def exact_hidden(bridge_type: str, d_in: int, d_out: int, target: float) -> float:
    """The real width h whose projection count equals ``target`` (positive root of the formula)."""
    if bridge_type == "mlp2":  # (d_in + 1)·h + (h + 1)·d_out = target
        return (target - d_out) / (d_in + 1 + d_out)
    # mlp3: h² + (d_in + 2 + d_out)·h + d_out - target = 0
    b, c = d_in + 2 + d_out, d_out - target
    return (-b + math.sqrt(b * b - 4 * c)) / 2


def hidden_range(d_in: int, d_out: int, rounding: str, limit: int = 8192) -> list[int] | None:
    """[lowest, highest] integer width whose mlp2 and mlp3 counts both give the paper's 10M and 14M under
    ``rounding`` (``nearest`` or ``truncate`` to whole millions); None when no width does."""
    reduce = (lambda x: round(x / 1e6)) if rounding == "nearest" else (lambda x: math.floor(x / 1e6))
    fits = [
        h
        for h in range(1, limit + 1)
        if all(
            reduce(bridge_parameter_count(kind, d_in, d_out, h, boundaries=False)) * 1_000_000
            == PAPER_TABLE_24[kind]
            for kind in ("mlp2", "mlp3")
        )
    ]
    return [fits[0], fits[-1]] if fits else None


def solve() -> dict[str, Any]:
    """For each encoder: does linear match 4M, the exact widths for 10M / 14M, the integer ranges."""
    d_out = LLM[1]
    out: dict[str, Any] = {}
    for encoder, d_in in ENCODERS.items():
        linear = bridge_parameter_count("linear", d_in, d_out, boundaries=False)
        out[encoder] = {
            "linear_params": linear,
            "linear_matches_4M": round(linear / 1e6) * 1_000_000 == PAPER_TABLE_24["linear"],
            "exact_hidden": {
                kind: round(exact_hidden(kind, d_in, d_out, PAPER_TABLE_24[kind]), 1)
                for kind in ("mlp2", "mlp3")
            },
            "hidden_range_nearest": hidden_range(d_in, d_out, "nearest"),
            "hidden_range_truncated": hidden_range(d_in, d_out, "truncate"),
        }
    return out


def _m(count: float) -> str:
    return f"{count / 1e6:.2f}M"


def _span(width_range: list[int] | None) -> str:
    return "no width" if width_range is None else f"any width in {width_range[0]}..{width_range[1]}"


def conclusion(solution: dict[str, Any]) -> str:
    """The sentence the benchmark prints: which bridge_hidden_size reproduces Table 24."""
    d_in, d_out = ENCODERS["mT5-large"], LLM[1]
    large, xl = solution["mT5-large"], solution["mT5-xl"]
    at = {k: bridge_parameter_count(k, d_in, d_out, CANDIDATE, boundaries=False) for k in ("mlp2", "mlp3")}
    default = {k: bridge_parameter_count(k, d_in, d_out, None, boundaries=False) for k in ("mlp2", "mlp3")}
    exact, exact_xl = large["exact_hidden"], xl["exact_hidden"]
    return (
        "Table 24 (linear 4M, 2-layer 10M, 3-layer 14M) is reproduced by an mT5-large encoder (d=1024) with"
        f" bridge_hidden_size={CANDIDATE}: linear {_m(large['linear_params'])}, mlp2 {_m(at['mlp2'])}, mlp3"
        f" {_m(at['mlp3'])}, the paper's figures truncated to whole millions"
        f" ({_span(large['hidden_range_truncated'])} does that; rounded to the nearest million"
        f" {_span(large['hidden_range_nearest'])} does)."
        f" Solved exactly: h = {exact['mlp2']} for 10M and {exact['mlp3']} for 14M."
        f" The linear 4M fixes the encoder width: mT5-xl's linear bridge has {_m(xl['linear_params'])} at any"
        f" width, and its MLPs would need h = {exact_xl['mlp2']} (10M) and {exact_xl['mlp3']} (14M):"
        f" {_span(xl['hidden_range_truncated'])} fits both truncated, {_span(xl['hidden_range_nearest'])}"
        f" rounded. The default width (the LLM's, {d_out}) gives mlp2 {_m(default['mlp2'])}, mlp3"
        f" {_m(default['mlp3'])} for mT5-large."
    )


def main() -> int:
    rows = [
        count_row(encoder, kind, hidden)
        for encoder in ENCODERS
        for hidden in (None, CANDIDATE)
        for kind in BRIDGE_TYPES
        if not (kind == "linear" and hidden is not None)
    ]
    print_table(rows, f"Bridge parameters, encoder -> {LLM[0]} ({LLM[1]}); projection only, boundaries apart")
    solution = solve()
    text = conclusion(solution)
    print(f"\nPaper Table 24: {text}")
    payload = {
        "llm": {"name": LLM[0], "hidden_size": LLM[1]},
        "rows": rows,
        "paper_table_24": PAPER_TABLE_24,
        "solution": solution,
        "conclusion": text,
    }
    write_results("bridge_params", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
