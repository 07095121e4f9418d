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
