"""Lexicon extraction and the files of an induction run: ``lexicon.tsv``, ``mapping.npy``, ``report.json``.

Output policy: an earlier successful run in the directory (its lexicon, mapping or report) is replaced only
with ``overwrite``; a failed run never touches it and writes its report beside it as ``report.failed.json``
(into a directory without a successful run: ``report.json``). Other files in the directory are never touched.

The lexicon lists up to ``k`` CSLS translations per source word as ``source<TAB>target<TAB>score`` (score =
CSLS, in [-2, 2]). ``filter='mutual'`` keeps a candidate only when the source word is also the target's CSLS
nearest neighbour (high precision); ``filter='threshold'`` keeps candidates scoring at least ``min_score``.
Tokens that are not words (numerals, punctuation, markup such as ``</s>``) are left out on both sides.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lingualift.errors import ConfigError
from lingualift.io_utils import atomic_open, atomic_write_json, check_output_path
from lingualift.lexicon.retrieval import csls_knn, mean_topk_similarity
from lingualift.lexicon.vectors import Embeddings, is_lexical

LEXICON_FILE, MAPPING_FILE, REPORT_FILE = "lexicon.tsv", "mapping.npy", "report.json"
LEXICON_HEADER = ("source", "target", "score")  # an optional first row of a lexicon file
FAILED_REPORT_FILE = "report.failed.json"  # a failed run's report beside an earlier successful run
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


def _is_failed_report(path: Path) -> bool:
    """Whether ``path`` is the report of a failed lingualift induction run (safe to replace)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(report, dict) and report.get("success") is False and "method" in report


def _holds_successful_run(out: Path) -> bool:
    report = out / REPORT_FILE
    return (
        (out / LEXICON_FILE).exists()
        or (out / MAPPING_FILE).exists()
        or (report.exists() and not _is_failed_report(report))
    )


def check_run_output(
    out_dir: str | os.PathLike, inputs: Iterable[str | os.PathLike | None] = (), overwrite: bool = False
) -> Path:
    """The output rule of an induction run (call it before the work): ``out_dir`` can be created; none of its
    files is an input; an earlier successful run there needs ``overwrite``. Returns ``out_dir`` as a Path."""
    out = Path(out_dir)
    inputs = tuple(inputs)
    # the folder itself: creatable and not a file (other files in it are never touched)
    check_output_path(out, directory=True, created_marker=lambda _: True, overwrite=True, what="lexicon run")
    for name, what in ((LEXICON_FILE, "lexicon"), (MAPPING_FILE, "mapping"), (REPORT_FILE, "report")):
        path = out / name
        replaceable = name == REPORT_FILE and _is_failed_report(path)  # an earlier failure's report
        check_output_path(path, inputs, overwrite or replaceable, what=what)
    failed = out / FAILED_REPORT_FILE
    check_output_path(failed, inputs, overwrite or _is_failed_report(failed), what="report")
    return out


def write_run(
    out_dir: str | os.PathLike,
    report: dict,
    mapping: np.ndarray | None = None,
    entries: list[Entry] | None = None,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike | None] = (),
) -> dict[str, str]:
    """Write a run's files (:func:`check_run_output` first; the report last). A failed run (``mapping is
    None``) writes only its report: ``report.json``, or ``report.failed.json`` beside an earlier successful
    run, which stays as it was."""
    out = check_run_output(out_dir, inputs, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    files = {"report": str(out / REPORT_FILE)}
    if mapping is None:
        if _holds_successful_run(out):
            files["report"] = str(out / FAILED_REPORT_FILE)
            report["earlier_run_kept"] = True  # its lexicon.tsv / mapping.npy / report.json are unchanged
    else:
        write_mapping(out / MAPPING_FILE, mapping)
        files["mapping"] = str(out / MAPPING_FILE)
        if entries is not None:
            write_lexicon(out / LEXICON_FILE, entries)
            files["lexicon"] = str(out / LEXICON_FILE)
    report["files"] = files
    atomic_write_json(files["report"], report)
    return files


def read_lexicon(path: str | os.PathLike) -> list[Entry]:
    """The one reader of ``lexicon.tsv`` files (induction output, MUSE-style dictionaries converted to it, any
    user lexicon): ``source<TAB>target[<TAB>score]`` lines, score 1.0 when absent; blank lines, ``#`` comments
    and a ``source/target/score`` header row are skipped. Every malformed line raises InputDataError naming
    file and line."""
    import math

    from lingualift.errors import InputDataError
    from lingualift.io_utils import iter_text_lines

    entries: list[Entry] = []
    for number, line in iter_text_lines(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if number == 1 and tuple(p.strip().lower() for p in parts) in (LEXICON_HEADER, LEXICON_HEADER[:2]):
            continue
        if len(parts) not in (2, 3):
            raise InputDataError(
                f"{path}:{number}: expected 'source<TAB>target<TAB>score' (2 or 3 tab-separated columns),"
                f" got {len(parts)} column(s): {line[:80]!r}"
            )
        source, target = parts[0].strip(), parts[1].strip()
        if not source or not target:
            column = "source" if not source else "target"
            raise InputDataError(f"{path}:{number}: empty {column} word in {line[:80]!r}")
        score = 1.0
        if len(parts) == 3:
            try:
                score = float(parts[2])
            except ValueError:
                raise InputDataError(f"{path}:{number}: score must be a number, got {parts[2]!r}") from None
            if not math.isfinite(score):
                raise InputDataError(f"{path}:{number}: score must be finite, got {parts[2]!r}")
        entries.append((source, target, score))
    if not entries:
        raise InputDataError(f"{path}: lexicon is empty (no 'source<TAB>target<TAB>score' lines)")
    return entries
