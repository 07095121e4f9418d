"""Snapshots of a directory tree, to assert that a refused or failed command changed nothing; the runner of
the table-driven command-line cases built on them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


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


def assert_cli_fails_cleanly(
    tmp_path: Path,
    files: dict[str, str | bytes],
    argv: list[str],
    fragments: list[str],
    capsys: Any,
    **names: str,
) -> str:
    """Run ``lingualift argv`` (``{w}`` = ``tmp_path/w`` holding ``files``; other ``{name}`` from ``names``):
    it must exit 1 with every fragment in its error output and leave everything under ``tmp_path``
    byte-identical, nothing added. Returns the error output for further checks."""
    from lingualift.cli import main

    work = tmp_path / "w"
    work.mkdir()
    make_files(work, files)
    before = snapshot(tmp_path)
    code = main([arg.format(w=work, **names) for arg in argv])
    err = capsys.readouterr().err
    assert code == 1, err[-2000:]
    assert "error:" in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err[-2000:]!r}"
    assert snapshot(tmp_path) == before  # every earlier file byte-identical, nothing added (no temp left)
    return err
