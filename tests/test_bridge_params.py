"""The bridge's size: parameter counts (module on the meta device) against the closed form, the config's
``bridge_hidden_size``/``bridge_activation`` saved and loaded, and the parameter-count benchmark's reading of
the paper's Table 24."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from transformers import AutoConfig

from lingualift.errors import ConfigError
from lingualift.modeling.bridge import LanguageAlignmentBridge, bridge_parameter_count
from lingualift.modeling.configuration import LinguaLiftConfig

REPO = Path(__file__).resolve().parents[1]


def _config(d_in: int, d_out: int, bridge_type: str, hidden: int | None, activation: str = "gelu"):
    return LinguaLiftConfig(
        encoder_config=AutoConfig.for_model("mt5", d_model=d_in),
        text_config=AutoConfig.for_model(
            "llama", hidden_size=d_out, num_attention_heads=4, num_key_value_heads=4
        ),
        bridge_type=bridge_type,
        bridge_hidden_size=hidden,
        bridge_activation=activation,
    )


@pytest.mark.parametrize("bridge_type", ["linear", "mlp2", "mlp3"])
@pytest.mark.parametrize(
    ("d_in", "d_out", "hidden"), [(8, 16, None), (8, 16, 5), (24, 12, 40), (1024, 4096, 2048)]
)
def test_parameter_count_is_the_closed_form(bridge_type, d_in, d_out, hidden):
    with torch.device("meta"):  # shapes only: mT5-large -> Llama-2-7B costs no memory
        bridge = LanguageAlignmentBridge(_config(d_in, d_out, bridge_type, hidden))
    counted = sum(p.numel() for p in bridge.parameters())
    assert counted == bridge_parameter_count(bridge_type, d_in, d_out, hidden)
    projection = sum(p.numel() for p in bridge.proj.parameters())
    assert projection == bridge_parameter_count(bridge_type, d_in, d_out, hidden, boundaries=False)
    assert counted - projection == 2 * d_out  # <enc_start>, <enc_end>


def test_parameter_count_by_hand():
    # linear 1024 -> 4096: 1024·4096 weights + 4096 biases
    assert bridge_parameter_count("linear", 1024, 4096, boundaries=False) == 4_198_400
    # mlp2 8 -> h 5 -> 16: (8·5 + 5) + (5·16 + 16) = 45 + 96; boundaries 2·16
    assert bridge_parameter_count("mlp2", 8, 16, 5) == 45 + 96 + 32
    # mlp3 adds a 5 -> 5 layer (25 + 5); default hidden = d_out = 16: (8·16+16) + (16·16+16) + (16·16+16)
    assert bridge_parameter_count("mlp3", 8, 16, 5, boundaries=False) == 45 + 30 + 96
    assert bridge_parameter_count("mlp3", 8, 16, boundaries=False) == 144 + 272 + 272
    with pytest.raises(ConfigError, match="bridge_type: unknown bridge type 'mlp4'; expected one of linear"):
        bridge_parameter_count("mlp4", 8, 16)


def test_config_saves_and_loads_the_bridge_shape(tmp_path: Path):
    config = _config(8, 16, "mlp3", 12, activation="silu")
    config.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert (saved["bridge_hidden_size"], saved["bridge_activation"]) == (12, "silu")
    loaded = LinguaLiftConfig.from_pretrained(tmp_path)
    assert (loaded.bridge_type, loaded.bridge_hidden_size, loaded.bridge_activation) == ("mlp3", 12, "silu")
    bridge = LanguageAlignmentBridge(loaded)
    assert [m.out_features for m in bridge.proj if isinstance(m, torch.nn.Linear)] == [12, 12, 16]
    assert isinstance(bridge.proj[1], torch.nn.SiLU)
    with pytest.raises(ConfigError, match="bridge_hidden_size: expected a positive integer, got 0"):
        _config(8, 16, "mlp2", 0)
    with pytest.raises(
        ConfigError, match="bridge_activation: unknown activation 'swish'; expected one of gelu"
    ):
        _config(8, 16, "mlp2", None, activation="swish")


# ----------------------------------------------------------------------------- the parameter benchmark


def _bench():
    path = REPO / "benchmarks" / "bench_bridge_params.py"
    spec = importlib.util.spec_from_file_location("bench_bridge_params", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_solves_the_papers_table_24():
    bench = _bench()
    row = bench.count_row("mT5-large", "mlp3", 2048)  # module on the meta device == formula, or it raises
    assert row["params"] == 14_688_256 and row["with_boundaries"] == 14_688_256 + 2 * 4096
    solution = bench.solve()
    large, xl = solution["mT5-large"], solution["mT5-xl"]
    assert large["linear_params"] == 4_198_400 and large["linear_matches_4M"]
    assert xl["linear_params"] == 8_392_704 and not xl["linear_matches_4M"]
    # exact roots: 5121·h + 4096 = 10M; h² + 5122·h + 4096 = 14M
    assert large["exact_hidden"] == {
        "mlp2": pytest.approx(1951.9, abs=0.05),
        "mlp3": pytest.approx(1972.7, abs=0.05),
    }
    lo, hi = large["hidden_range_truncated"]
    assert lo <= 2048 <= hi
    assert bridge_parameter_count("mlp2", 1024, 4096, lo, boundaries=False) >= 10_000_000
    assert bridge_parameter_count("mlp3", 1024, 4096, lo - 1, boundaries=False) < 14_000_000
    assert bridge_parameter_count("mlp3", 1024, 4096, hi + 1, boundaries=False) >= 15_000_000
    assert "bridge_hidden_size=2048" in bench.conclusion(solution)
