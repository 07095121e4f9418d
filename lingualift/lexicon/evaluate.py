"""Word-translation evaluation: precision at 1/5/10 with NN and CSLS retrieval against a MUSE dictionary.

A source word counts as correct at ``k`` when any of its gold translations is among its top ``k`` retrieved
target words. Only dictionary words present in the source vocabulary with at least one gold translation in
the target vocabulary are scored; ``coverage`` reports that share (as MUSE does, implicitly).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lingualift.errors import InputDataError
from lingualift.lexicon.dictionaries import read_dictionary
from lingualift.lexicon.retrieval import build_index, csls_knn, knn, mean_topk_similarity
from lingualift.lexicon.vectors import Embeddings, load_embeddings, normalize


def precision_at_k(retrieved: np.ndarray, gold: Sequence[set[int]], ks: Sequence[int]) -> dict[str, float]:
    """``P@k`` for each ``k``: share of rows whose first ``k`` retrieved ids meet their gold set."""
    first_hit = np.full(len(gold), np.inf)
    for row, (ids, answers) in enumerate(zip(retrieved, gold)):
        for rank, target in enumerate(ids):
            if int(target) in answers:
                first_hit[row] = rank
                break
    return {f"p@{k}": float(np.mean(first_hit < k)) for k in ks}


def evaluate_translation(
    xw: np.ndarray,
    z: np.ndarray,
    src: Embeddings,
    tgt: Embeddings,
    translations: dict[str, list[str]],
    ks: Sequence[int] = (1, 5, 10),
    methods: Sequence[str] = ("nn", "csls"),
    csls_k: int = 10,
    dictionary_name: str = "dictionary",
) -> dict:
    """Score mapped source vectors ``xw`` against target vectors ``z`` (both normalised, rows as
    vocabularies)."""
    queries, gold = [], []
    for word, options in translations.items():
        answers = {tgt.word2id[t] for t in options if t in tgt.word2id}
        if word in src.word2id and answers:
            queries.append(src.word2id[word])
            gold.append(answers)
    if not queries:
        raise InputDataError(
            f"{dictionary_name}: no covered words — none of its {len(translations)} source words "
            f"is in the source vocabulary ({len(src)} words from {src.source}) with a translation in the "
            f"target vocabulary ({len(tgt)} words from {tgt.source}); "
            f"check the language direction and max_vocab"
        )
    query_ids = np.asarray(queries)
    max_k = max(ks)
    result: dict = {
        "dictionary_words": len(translations),
        "covered_words": len(queries),
        "coverage": len(queries) / len(translations),
        "covered_pairs": int(sum(len(g) for g in gold)),
    }
    target_index = build_index(z)
    for method in methods:
        if method == "nn":
            _, retrieved = knn(xw[query_ids], target_index, max_k)
        elif method == "csls":
            r_targets = mean_topk_similarity(z, xw, csls_k)
            r_queries = mean_topk_similarity(xw[query_ids], target_index, csls_k)
            _, retrieved = csls_knn(xw[query_ids], z, max_k, csls_k, r_queries=r_queries, r_base=r_targets)
        else:
            raise ValueError(f"unknown retrieval method {method!r} (expected 'nn' or 'csls')")
        result[method] = precision_at_k(retrieved, gold, ks)
    return result


def load_mapping(mapping: str | os.PathLike | np.ndarray, dim: int) -> np.ndarray:
    """Read a ``(d, d)`` mapping (``.npy``) and check it fits vectors of dimension ``dim``."""
    if isinstance(mapping, np.ndarray):
        matrix, name = mapping, "mapping"
    else:
        path = Path(mapping)
        if not path.is_file():
            raise InputDataError(f"{path}: mapping file not found")
        try:
            matrix = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise InputDataError(f"{path}: not a .npy array ({exc})") from None
        name = str(path)
    if matrix.shape != (dim, dim):
        raise InputDataError(
            f"{name}: mapping has shape {matrix.shape}, expected ({dim}, {dim}) for {dim}-d vectors"
        )
    return matrix.astype(np.float32)


def check_dimensions(src: Embeddings, tgt: Embeddings) -> None:
    """Raise when the two spaces have different dimensionality (an orthogonal map needs equal sizes)."""
    if src.dim != tgt.dim:
        raise InputDataError(
            f"dimension mismatch: source vectors {src.source} are {src.dim}-d, "
            f"target vectors {tgt.source} are {tgt.dim}-d (both must have the same dimension)"
        )


def evaluate_mapping(
    src: str | os.PathLike | Embeddings,
    tgt: str | os.PathLike | Embeddings,
    mapping: str | os.PathLike | np.ndarray,
    dictionary: str | os.PathLike,
    max_vocab: int | None = 200_000,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    ks: Sequence[int] = (1, 5, 10),
    methods: Sequence[str] = ("nn", "csls"),
    csls_k: int = 10,
) -> dict:
    """Load vectors, apply ``mapping`` to the normalised source space and evaluate against ``dictionary``."""
    src_emb = load_embeddings(src, max_vocab=max_vocab, lang=src_lang)
    tgt_emb = load_embeddings(tgt, max_vocab=max_vocab, lang=tgt_lang)
    check_dimensions(src_emb, tgt_emb)
    matrix = load_mapping(mapping, src_emb.dim)
    translations = read_dictionary(dictionary)
    x, z = normalize(src_emb.vectors), normalize(tgt_emb.vectors)
    result = evaluate_translation(
        x @ matrix, z, src_emb, tgt_emb, translations, ks, methods, csls_k, dictionary_name=str(dictionary)
    )
    result["dictionary"] = str(dictionary)
    result["src"], result["tgt"] = src_emb.stats(), tgt_emb.stats()
    return result
