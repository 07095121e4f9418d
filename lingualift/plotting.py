"""Matplotlib helpers shared by every report: a headless backend and atomic PNG writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (reports run on servers and in CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, dpi: int = 120) -> Path:
    """Save ``fig`` as a PNG atomically (:func:`lingualift.io_utils.atomic_open`) and close it."""
    from lingualift.io_utils import atomic_open

    path = Path(path)
    fig.tight_layout()
    try:
        with atomic_open(path, "wb", encoding=None) as handle:
            fig.savefig(handle, format="png", dpi=dpi)
    finally:
        pyplot().close(fig)
    return path
