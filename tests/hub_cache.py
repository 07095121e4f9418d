"""A local Hugging Face Hub cache laid out exactly as huggingface_hub lays it out, for offline tests of every
loader that takes a Hub id (models and datasets)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def put_in_hub_cache(
    cache: Path, repo_id: str, folder: Path, revision: str = "main", repo_type: str = "model"
) -> Path:
    """Lay ``folder`` into ``cache`` as huggingface_hub does: content-addressed blobs, a snapshot of relative
    symlinks named by a commit hash, and ``refs/<revision>`` holding that hash. Returns the snapshot."""
    repo = cache / f"{repo_type}s--{repo_id.replace('/', '--')}"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    commit = hashlib.sha1("".join(f"{p.relative_to(folder)}:{p.stat().st_size}" for p in files).encode())
    snapshot = repo / "snapshots" / commit.hexdigest()
    for path in files:
        data = path.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / revision).write_text(commit.hexdigest())
    return snapshot
