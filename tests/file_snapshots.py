"""Snapshots of a directory tree, to assert that a refused or failed command changed nothing."""

from __future__ import annotations

import os
from pathlib import Path


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes), link (its target) and directory (None) under ``root``: equal snapshots mean
    nothing changed."""
    return {
        str(path.relative_to(root)): (
            f"-> {os.readlink(path)}".encode()
            if path.is_symlink()
            else None
            if path.is_dir()
            else path.read_bytes()
        )
        for path in sorted(root.rglob("*"))
    }


def make_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
