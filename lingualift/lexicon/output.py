"""Lexicon extraction and the files of an induction run: ``lexicon.tsv``, ``mapping.npy``, ``report.json``.

The lexicon lists up to ``k`` CSLS translations per source word as ``source<TAB>target<TAB>score`` (score =
CSLS, in [-2, 2]). ``filter='mutual'`` keeps a candidate only when the source word is also the target's CSLS
nearest neighbour (high precision); ``filter='threshold'`` keeps candidates scoring at least ``min_score``.
Tokens that are not words (numerals, punctuation, markup such as ``</s>``) are left out on both sides.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lingualift.errors import ConfigError
from lingualift.io_utils import atomic_open, atomic_write_json
from lingualift.lexicon.retrieval import csls_knn, mean_topk_similarity
from lingualift.lexicon.vectors import Embeddings, is_lexical

LEXICON_FILE, MAPPING_FILE, REPORT_FILE = "lexicon.tsv", "mapping.npy", "report.json"
FILTERS = ("mutual", "threshold")
Entry = tuple[str, str, float]


def _lexical_ids(embeddings: Embeddings, limit: int) -> np.ndarray:
    ids = [i for i, word in enumerate(embeddings.words[:limit]) if is_lexical(word)]
    return np.asarray(ids, dtype=np.int64)


def extract_lexicon(
    xw: np.ndarray,
    z: np.ndarray,
    src: Embeddings,
    tgt: Embeddings,
    n_words: int = 50_000,
    k: int = 3,
    filter: str = "mutual",
    min_score: float | None = None,
    csls_k: int = 10,
    progress: bool = False,
) -> list[Entry]:
    """Translate the top ``n_words`` lexical source words into the top ``n_words`` lexical target words."""
    if filter not in FILTERS:
        raise ConfigError(f"lexicon filter {filter!r} unknown (expected one of {', '.join(FILTERS)})")
    if k < 1:
        raise ConfigError(f"lexicon k must be ≥ 1, got {k}")
    if min_score is None:
        min_score = 0.0 if filter == "threshold" else -np.inf
    src_ids, tgt_ids = _lexical_ids(src, n_words), _lexical_ids(tgt, n_words)
    if len(src_ids) == 0 or len(tgt_ids) == 0:
        return []
    xs, zs = np.ascontiguousarray(xw[src_ids]), np.ascontiguousarray(z[tgt_ids])
    r_src = mean_topk_similarity(xs, zs, csls_k, progress=progress)
    r_tgt = mean_topk_similarity(zs, xs, csls_k, progress=progress)
    scores, candidates = csls_knn(xs, zs, k, csls_k, r_queries=r_src, r_base=r_tgt, progress=progress)
    keep = scores >= min_score
    if filter == "mutual":
        _, backward = csls_knn(zs, xs, 1, csls_k, r_queries=r_tgt, r_base=r_src, progress=progress)
        keep &= backward[candidates, 0] == np.arange(len(src_ids))[:, None]
    entries: list[Entry] = []
    for row, col in zip(*np.nonzero(keep)):
        entries.append(
            (src.words[src_ids[row]], tgt.words[tgt_ids[candidates[row, col]]], float(scores[row, col]))
        )
    return entries


def write_lexicon(path: str | os.PathLike, entries: list[Entry]) -> None:
    """Write ``source<TAB>target<TAB>score`` lines atomically."""
    with atomic_open(path, "w") as handle:
        for source, target, score in entries:
            handle.write(f"{source}\t{target}\t{score:.6f}\n")


def write_mapping(path: str | os.PathLike, mapping: np.ndarray) -> None:
    """Save the ``(d, d)`` mapping matrix as ``.npy`` atomically."""
    with atomic_open(path, "wb") as handle:
        np.save(handle, mapping.astype(np.float32))


def write_run(
    out_dir: str | os.PathLike,
    report: dict,
    mapping: np.ndarray | None = None,
    entries: list[Entry] | None = None,
) -> dict[str, str]:
    """Write a run's files; a failed run (``mapping is None``) writes only the report and removes stale
    outputs."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"report": str(out / REPORT_FILE)}
    if mapping is None:
        for stale in (out / LEXICON_FILE, out / MAPPING_FILE):
            stale.unlink(missing_ok=True)
    else:
        write_mapping(out / MAPPING_FILE, mapping)
        files["mapping"] = str(out / MAPPING_FILE)
        if entries is not None:
            write_lexicon(out / LEXICON_FILE, entries)
            files["lexicon"] = str(out / LEXICON_FILE)
    report["files"] = files
    atomic_write_json(out / REPORT_FILE, report)
    return files


def read_lexicon(path: str | os.PathLike) -> list[Entry]:
    """Read a ``lexicon.tsv`` back (used by code-switching); errors name the file and line."""
    from lingualift.errors import InputDataError
    from lingualift.io_utils import iter_text_lines

    entries: list[Entry] = []
    for number, line in iter_text_lines(path):
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise InputDataError(
                f"{path}:{number}: expected 3 tab-separated fields source/target/score, got {len(fields)}"
            )
        try:
            score = float(fields[2])
        except ValueError:
            raise InputDataError(f"{path}:{number}: score {fields[2]!r} is not a number") from None
        entries.append((fields[0], fields[1], score))
    return entries
