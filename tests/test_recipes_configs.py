"""Every shipped recipe config loads and validates; headers show the launch command; the paper's setup is
exact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from accelerate.commands.config.config_args import load_config_from_file

from lingualift.training import load_config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "recipes" / "configs").glob("stage*/*.yaml"))
RECIPE = {
    "stage1": ("align", "recipes/stage1_align.py", "lingualift train stage1"),
    "stage2": ("task", "recipes/stage2_task.py", "lingualift train stage2"),
}


def test_configs_exist_for_each_setup():
    names = {f"{p.parent.name}/{p.stem}" for p in CONFIGS}
    assert {
        "stage1/tiny",
        "stage1/paper_mt5xl_llama2_7b",
        "stage1/smollm2_e5_cpu",
        "stage2/tiny",
        "stage2/tiny_lora",
        "stage2/paper_mt5xl_llama2_7b",
        "stage2/paper_mt5xl_llama2_7b_lora",
        "stage2/smollm2_e5_cpu",
    } <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_config_validates_and_header_shows_launch(path, monkeypatch):
    monkeypatch.chdir(REPO)
    stage, script, cli = RECIPE[path.parent.name]
    config = load_config(path, check_files=False)
    assert config.stage.name == stage
    header = "".join(line for line in path.read_text().splitlines(keepends=True) if line.startswith("#"))
    assert script in header or cli in header, f"{path}: header shows no launch command"
    assert re.search(r"--config recipes/configs/" + path.parent.name, header), header
    assert config.training.gradient_accumulation_steps(1) >= 1 and config.data.train_file


def test_tiny_stage1_config_validates_with_its_shipped_data(monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "recipes/configs/stage1/tiny.yaml", [f"training.output_dir={tmp_path}"])
    assert Path(config.data.train_file).is_file()


def test_paper_setup():
    s1 = load_config(REPO / "recipes/configs/stage1/paper_mt5xl_llama2_7b.yaml", check_files=False)
    assert (s1.model.encoder, s1.model.llm) == ("google/mt5-xl", "meta-llama/Llama-2-7b-hf")
    t = s1.training
    assert (t.num_train_epochs, t.learning_rate, t.lr_scheduler_type, t.global_batch_size) == (
        3,
        6e-4,
        "constant",
        256,
    )
    assert s1.stage.effective_train_bridge and not s1.stage.effective_train_llm
    assert t.gradient_accumulation_steps(8) == 2 and t.gradient_checkpointing and t.group_by_length
    s2 = load_config(REPO / "recipes/configs/stage2/paper_mt5xl_llama2_7b.yaml", check_files=False)
    t = s2.training
    assert (
        t.num_train_epochs,
        t.learning_rate,
        t.warmup_ratio,
        t.lr_scheduler_type,
        t.weight_decay,
        t.global_batch_size,
    ) == (3, 2e-5, 0.05, "cosine", 0.01, 128)
    assert s2.stage.effective_train_llm and not s2.stage.effective_train_bridge and s2.stage.lora is None
    assert s2.stage.bridge_checkpoint == s1.training.output_dir + "/final"
    lora = load_config(REPO / "recipes/configs/stage2/paper_mt5xl_llama2_7b_lora.yaml", check_files=False)
    assert lora.stage.lora is not None and lora.stage.lora.r == 64


@pytest.mark.parametrize(
    ("name", "kind"), [("ddp", "MULTI_GPU"), ("fsdp", "FSDP"), ("deepspeed_zero3", "DEEPSPEED")]
)
def test_accelerate_configs_parse(name, kind):
    config = load_config_from_file(str(REPO / "recipes" / "accelerate" / f"{name}.yaml"))
    assert config.distributed_type.value == kind and config.mixed_precision == "bf16"
    if name == "fsdp":
        assert config.fsdp_config["fsdp_use_orig_params"] is True  # frozen + trainable params in one unit
    if name == "deepspeed_zero3":
        assert config.deepspeed_config["zero_stage"] == 3
        assert "gradient_accumulation_steps" not in config.deepspeed_config  # derived by the recipe ("auto")
