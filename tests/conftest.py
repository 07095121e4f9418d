"""Shared fixtures: the path to the real benchmark data beside the repository (skip cleanly when absent);
the deprecation guard (a deprecation warning triggered by lingualift code fails the test, see
``deprecation_guard.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from deprecation_guard import DeprecationGuard

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED_DATA = Path(
    os.environ.get("LINGUALIFT_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data")
)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(DeprecationGuard(), "lingualift-deprecation-guard")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Directory holding the real benchmark files (``../shared/data``); skips the test when it is missing."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


try:  # quiet transformers' per-load progress bars in test logs
    from transformers.utils import logging as _hf_logging

    _hf_logging.disable_progress_bar()
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(scope="module")
def tiny_bridged(tmp_path_factory) -> dict:
    """A tiny random bridged model (mT5 encoder + Llama), its processor and its saved full checkpoint; one per
    test module, so a module may change the model without affecting another."""
    import torch

    from lingualift import LinguaLiftForCausalLM, LinguaLiftProcessor
    from lingualift.modeling.tiny import build_tiny_components

    root = tmp_path_factory.mktemp("tiny-bridged")
    enc, llm = build_tiny_components(root, encoder="mt5", llm="llama")
    processor = LinguaLiftProcessor.from_components(encoder=enc, llm=llm, max_input_length=32, max_length=256)
    torch.manual_seed(0)
    model = LinguaLiftForCausalLM.from_components(encoder=enc, llm=llm, processor=processor)
    ckpt = root / "ckpt"
    model.save_checkpoint(ckpt, processor=processor)
    return {"model": model, "processor": processor, "ckpt": ckpt, "llm": llm, "root": root}
