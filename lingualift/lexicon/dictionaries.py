"""Bilingual dictionaries: MUSE-format files (``src tgt`` per line) and identical-string seeds.

A source word may have several gold translations (one line each); lookups lower-case both sides to match the
lower-cased vocabularies the loaders produce.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import numpy as np

from lingualift.errors import InputDataError
from lingualift.io_utils import iter_text_lines
from lingualift.lexicon.vectors import Embeddings

_NUMERAL = re.compile(r"^[0-9]+([.,][0-9]+)*$")


def read_dictionary(path: str | os.PathLike, lowercase: bool = True) -> dict[str, list[str]]:
    """Read ``src tgt`` lines (space or tab separated) into ``{src: [tgt, ...]}`` in file order."""
    path = Path(path)
    translations: dict[str, list[str]] = {}
    for number, line in iter_text_lines(path):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise InputDataError(
                f"{path}:{number}: expected 2 fields 'source target' separated by whitespace, "
                f"got {len(parts)}: {line[:80]!r}"
            )
        src, tgt = (unicodedata.normalize("NFC", part.lower() if lowercase else part) for part in parts)
        options = translations.setdefault(src, [])
        if tgt not in options:
            options.append(tgt)
    if not translations:
        raise InputDataError(f"{path}: empty dictionary (expected lines 'source target')")
    return translations


def dictionary_pairs(
    translations: dict[str, list[str]], src: Embeddings, tgt: Embeddings, source_name: str = "dictionary"
) -> np.ndarray:
    """Index pairs ``(n, 2)`` of the entries whose two words are both in the vocabularies."""
    pairs = [
        (src.word2id[s], tgt.word2id[t])
        for s, options in translations.items()
        if s in src.word2id
        for t in options
        if t in tgt.word2id
    ]
    if not pairs:
        raise InputDataError(
            f"{source_name}: none of its {sum(map(len, translations.values()))} pairs has both words in the "
            f"vocabularies ({len(src)} source words from {src.source}, "
            f"{len(tgt)} target words from {tgt.source})"
        )
    return np.asarray(pairs, dtype=np.int64)


def identical_pairs(src: Embeddings, tgt: Embeddings, numerals_only: bool = False) -> np.ndarray:
    """Seed pairs from strings spelled identically in both vocabularies (or only numerals)."""
    pairs = [
        (i, tgt.word2id[word])
        for i, word in enumerate(src.words)
        if word in tgt.word2id and (not numerals_only or _NUMERAL.match(word))
    ]
    if not pairs:
        kind = "numerals" if numerals_only else "strings"
        raise InputDataError(
            f"no identical {kind} shared by {src.source} and {tgt.source}: cannot seed a mapping"
        )
    return np.asarray(pairs, dtype=np.int64)
