"""Orthogonal Procrustes and dictionary induction: the building blocks shared by every mapping method.

Convention throughout ``lingualift.lexicon``: a mapping is a ``(d, d)`` matrix ``W`` applied on the right,
``mapped_source = source @ W``, compared with target vectors by cosine. Both spaces are normalised
(unit, centre, unit) first.
"""

from __future__ import annotations

import contextlib

import numpy as np

from lingualift.errors import InputDataError
from lingualift.lexicon.retrieval import csls_knn, mean_topk_similarity


def small_svd(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin float64 SVD with single-threaded BLAS/LAPACK.

    For the ``d × d`` and ``4k × d`` matrices used here one thread is as fast, and multithreaded OpenBLAS
    SVD slows down 10-100× when the cores are shared (measured: 300×300 in 1.8 s instead of 0.04 s).
    """
    try:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(1, user_api="blas")
    except ImportError:  # optional: only a speed-up
        limit = contextlib.nullcontext()
    with limit:
        return np.linalg.svd(matrix.astype(np.float64), full_matrices=False)


def procrustes(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Orthogonal ``W`` minimising ``||source @ W - target||_F`` over paired rows (Schönemann 1966)."""
    if source.shape != target.shape or source.shape[0] == 0:
        raise InputDataError(
            f"Procrustes needs equally many aligned rows in both spaces, "
            f"got {source.shape} and {target.shape}"
        )
    u, _, vt = small_svd(source.T.astype(np.float64) @ target.astype(np.float64))
    return (u @ vt).astype(np.float32)


def procrustes_from_pairs(x: np.ndarray, z: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Procrustes on the rows named by ``pairs`` (``(n, 2)`` array of source/target indices)."""
    return procrustes(x[pairs[:, 0]], z[pairs[:, 1]])


def csls_mutual_pairs(xw: np.ndarray, z: np.ndarray, max_rank: int = 15_000, csls_k: int = 10) -> np.ndarray:
    """Pairs ``(i, j)`` among the top ``max_rank`` words that are each other's CSLS nearest neighbour.

    This is MUSE's ``S2T&T2S`` dictionary used for Procrustes refinement and model selection.
    """
    n_src, n_tgt = min(max_rank, xw.shape[0]), min(max_rank, z.shape[0])
    xs, zs = np.ascontiguousarray(xw[:n_src]), np.ascontiguousarray(z[:n_tgt])
    r_src, r_tgt = mean_topk_similarity(xs, zs, csls_k), mean_topk_similarity(zs, xs, csls_k)
    _, forward = csls_knn(xs, zs, 1, csls_k, r_queries=r_src, r_base=r_tgt)
    _, backward = csls_knn(zs, xs, 1, csls_k, r_queries=r_tgt, r_base=r_src)
    forward = forward[:, 0]
    mutual = backward[forward, 0] == np.arange(n_src)
    return np.stack([np.nonzero(mutual)[0], forward[mutual]], axis=1)


def refine(
    x: np.ndarray,
    z: np.ndarray,
    mapping: np.ndarray,
    iterations: int = 5,
    max_rank: int = 15_000,
    csls_k: int = 10,
) -> np.ndarray:
    """MUSE refinement: alternate CSLS mutual-NN dictionary induction and Procrustes ``iterations`` times."""
    for _ in range(iterations):
        pairs = csls_mutual_pairs(x @ mapping, z, max_rank, csls_k)
        if len(pairs) < 2:
            break
        mapping = procrustes_from_pairs(x, z, pairs)
    return mapping
