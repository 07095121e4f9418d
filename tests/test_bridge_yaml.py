"""``model.bridge_hidden_size`` / ``model.bridge_activation`` in a training YAML: validated before any model
loads, passed to a tiny model's bridge, saved and loaded with its bridge checkpoint, and checked against the
checkpoint a stage-2 run starts from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lingualift.errors import ConfigError
from lingualift.modeling import LinguaLiftForCausalLM
from lingualift.training import load_config
from lingualift.training.run import build_model

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path) -> dict:
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"instruction": "Translate:", "input": "le chat", "output": "the cat"}) + "\n")
    return {
        "stage": {"name": "align"},
        "model": {"encoder": "tiny:mt5", "llm": "tiny:llama"},
        "data": {"train_file": str(data)},
        "training": {"output_dir": str(tmp_path / "out"), "global_batch_size": 8, "per_device_batch_size": 4},
    }


def _error(tree: dict, overrides: list[str]) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(tree=tree, overrides=overrides)
    return str(info.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ["model.bridge_hidden_size=0"],
            "model.bridge_hidden_size: expected a positive integer or null, got 0",
        ),
        (
            ["model.bridge_hidden_size=-8"],
            "model.bridge_hidden_size: expected a positive integer or null, got -8",
        ),
        (["model.bridge_hidden_size=1.5"], "model.bridge_hidden_size: expected int | null, got float 1.5"),
        (["model.bridge_hidden_size=true"], "model.bridge_hidden_size: expected int | null, got bool True"),
        (
            ["model.bridge_activation=swish"],
            "model.bridge_activation: expected 'gelu' | 'relu' | 'silu' | 'tanh' | null, got str 'swish'",
        ),
        (
            ["model.bridge_type=linear", "model.bridge_hidden_size=64"],
            "model.bridge_hidden_size: 64, but a linear bridge has no hidden layer; remove",
        ),
        (
            [
                "model.architecture=plain",
                "model.encoder=null",
                "stage.name=task",
                "model.bridge_hidden_size=64",
            ],
            "model.bridge_hidden_size: 64 is set, but model.architecture=plain",
        ),
    ],
)
def test_bad_bridge_settings_are_refused(tree, overrides, expected):
    assert expected in _error(tree, overrides)


def test_yaml_bridge_hidden_size_builds_and_round_trips(tree, tmp_path: Path):
    path = tmp_path / "stage1.yaml"
    text = (REPO / "recipes/configs/stage1/tiny.yaml").read_text(encoding="utf-8")
    assert "  bridge_type: mlp2\n" in text
    text = text.replace(
        "  bridge_type: mlp2\n", "  bridge_type: mlp2\n  bridge_hidden_size: 64\n  bridge_activation: relu\n"
    )
    path.write_text(text, encoding="utf-8")
    config = load_config(
        path, [f"training.output_dir={tmp_path / 'out'}", f"data.train_file={tree['data']['train_file']}"]
    )
    assert (config.model.bridge_hidden_size, config.model.bridge_activation) == (64, "relu")
    model, processor = build_model(config)
    linears = [m for m in model.bridge.proj if isinstance(m, torch.nn.Linear)]
    llm_width = model.config.llm_hidden_size
    assert [(m.in_features, m.out_features) for m in linears] == [
        (model.config.encoder_hidden_size, 64),
        (64, llm_width),
    ]
    assert isinstance(model.bridge.proj[1], torch.nn.ReLU) and llm_width != 64
    assert (model.config.bridge_hidden_size, model.config.bridge_activation) == (64, "relu")
    bridge_dir = tmp_path / "bridge"
    model.save_bridge(bridge_dir, processor)
    assert json.loads((bridge_dir / "config.json").read_text())["bridge_hidden_size"] == 64
    loaded = LinguaLiftForCausalLM.from_bridge(bridge_dir)
    assert (loaded.config.bridge_hidden_size, loaded.config.bridge_activation) == (64, "relu")
    assert loaded.bridge.proj[0].out_features == 64
    for name, tensor in model.bridge.state_dict().items():
        assert torch.equal(loaded.bridge.state_dict()[name], tensor), name
    # stage 2 from that checkpoint: its width is used; a different one in the YAML is refused
    stage2 = {
        **tree,
        "stage": {"name": "task", "bridge_checkpoint": str(bridge_dir)},
        "model": {},
        "training": {**tree["training"], "output_dir": str(tmp_path / "out2")},
    }
    assert load_config(tree=stage2, overrides=["model.bridge_hidden_size=64"]).model.bridge_hidden_size == 64
    message = _error(stage2, ["model.bridge_hidden_size=32"])
    assert (
        "model.bridge_hidden_size: 32, but the bridge checkpoint" in message and "trained with 64" in message
    )
    message = _error(stage2, ["model.bridge_activation=gelu"])
    assert "model.bridge_activation: 'gelu', but the bridge checkpoint" in message and "'relu'" in message


def test_default_bridge_width_is_the_llm_width(tree):
    model, _ = build_model(load_config(tree=tree))
    assert model.config.bridge_hidden_size is None and model.config.bridge_activation == "gelu"
    assert model.bridge.proj[0].out_features == model.config.llm_hidden_size
