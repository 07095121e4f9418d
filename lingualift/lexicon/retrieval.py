"""k-nearest-neighbour retrieval with FAISS: plain cosine (NN) and CSLS, blocked over queries.

Vectors are expected L2-normalised, so inner product is cosine. Nothing here builds an N×N similarity
matrix: FAISS ``IndexFlatIP`` scans the base in tiles and keeps only the top ``k`` per query, and queries go
in blocks so peak memory is ``block_size × k`` plus the index. An index moves to the GPU(s) when the installed
FAISS has GPU support and a device is visible.

CSLS (Conneau et al. 2018): ``csls(x, y) = 2 cos(x, y) - r_T(x) - r_S(y)``, where ``r`` is the mean cosine
to the ``k`` nearest neighbours in the other space. Ranking targets by CSLS for a query is one inner-product
search with augmented vectors: query ``[2x, -1]`` against base ``[y, r_S(y)]``.
"""

from __future__ import annotations

import logging

import faiss
import numpy as np
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

DEFAULT_BLOCK_SIZE = 8192


def gpu_count() -> int:
    """Number of GPUs FAISS can use (0 for CPU-only builds)."""
    getter = getattr(faiss, "get_num_gpus", None)
    return int(getter()) if getter else 0


def build_index(base: np.ndarray, use_gpu: bool | None = None) -> faiss.Index:
    """Exact inner-product index over ``base`` rows, on GPU when available (``use_gpu=None``) or requested."""
    base = np.ascontiguousarray(base, dtype=np.float32)
    index = faiss.IndexFlatIP(base.shape[1])
    if (use_gpu is None and gpu_count() > 0) or use_gpu:
        if gpu_count() == 0:
            raise RuntimeError("use_gpu=True but this FAISS build sees no GPU")
        index = faiss.index_cpu_to_all_gpus(index)
    index.add(base)
    return index


def knn(
    queries: np.ndarray,
    base: np.ndarray | faiss.Index,
    k: int,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: bool = False,
    desc: str = "knn",
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` inner products of each query row in ``base``: ``(scores, indices)``, each
    ``(n_queries, k)``."""
    index = base if isinstance(base, faiss.Index) else build_index(base)
    k = min(k, index.ntotal)
    n = queries.shape[0]
    scores = np.empty((n, k), dtype=np.float32)
    indices = np.empty((n, k), dtype=np.int64)
    starts = range(0, n, block_size)
    for start in tqdm(starts, desc=desc, disable=not progress or len(starts) < 2, leave=False):
        stop = min(start + block_size, n)
        block = np.ascontiguousarray(queries[start:stop], dtype=np.float32)
        scores[start:stop], indices[start:stop] = index.search(block, k)
    return scores, indices


def mean_topk_similarity(
    queries: np.ndarray,
    base: np.ndarray | faiss.Index,
    k: int = 10,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: bool = False,
) -> np.ndarray:
    """CSLS neighbourhood term ``r``: mean cosine of each query to its ``k`` nearest rows of ``base``."""
    scores, _ = knn(queries, base, k, block_size, progress, desc="csls r")
    return scores.mean(axis=1)


def csls_knn(
    queries: np.ndarray,
    base: np.ndarray,
    k: int,
    csls_k: int = 10,
    r_queries: np.ndarray | None = None,
    r_base: np.ndarray | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` base rows of each query by CSLS: ``(csls_scores, indices)``.

    ``r_queries``/``r_base`` (neighbourhood terms) are computed when not given: ``r_base`` against
    ``queries`` and ``r_queries`` against ``base``.
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    base = np.ascontiguousarray(base, dtype=np.float32)
    if r_base is None:
        r_base = mean_topk_similarity(base, queries, csls_k, block_size, progress)
    if r_queries is None:
        r_queries = mean_topk_similarity(queries, base, csls_k, block_size, progress)
    augmented_base = np.hstack([base, r_base.astype(np.float32)[:, None]])
    index = build_index(augmented_base)
    n = queries.shape[0]
    k = min(k, base.shape[0])
    scores = np.empty((n, k), dtype=np.float32)
    indices = np.empty((n, k), dtype=np.int64)
    starts = range(0, n, block_size)
    for start in tqdm(starts, desc="csls", disable=not progress or len(starts) < 2, leave=False):
        stop = min(start + block_size, n)
        block = np.hstack([2.0 * queries[start:stop], -np.ones((stop - start, 1), dtype=np.float32)])
        block_scores, indices[start:stop] = index.search(block, k)
        scores[start:stop] = block_scores - r_queries[start:stop, None]
    return scores, indices


def nearest(
    queries: np.ndarray,
    base: np.ndarray,
    k: int,
    method: str = "csls",
    csls_k: int = 10,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch to :func:`knn` (``method='nn'``) or :func:`csls_knn` (``method='csls'``)."""
    if method == "nn":
        return knn(queries, base, k, block_size, progress)
    if method == "csls":
        return csls_knn(queries, base, k, csls_k, block_size=block_size, progress=progress)
    raise ValueError(f"unknown retrieval method {method!r} (expected 'nn' or 'csls')")
