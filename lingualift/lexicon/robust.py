"""``robust``: fully unsupervised mapping in the style of VecMap (Artetxe et al., ACL 2018).

1. Initialisation without any seed: for the top ``init_vocab`` words of each language, the rows of the
   square-rooted similarity matrix ``sqrt(X Xᵀ)``, sorted, are (approximately) language independent, so CSLS
   nearest neighbours between these signatures give a first, noisy dictionary (both directions).
2. Self-learning: alternate orthogonal Procrustes with CSLS (k=10) dictionary induction in both directions.
   Stochastic dictionary induction keeps each candidate with probability ``keep_prob`` (0.1 at first, doubled
   whenever the objective — mean best cosine in both directions — stops improving for ``patience`` rounds)
   so early rounds can escape poor local optima.

Deviation from VecMap, for CPU speed: the stochastic phase runs on the top ``explore_vocab`` words (VecMap
uses 20k throughout) and only the final deterministic rounds on ``dict_vocab``; CSLS and dropout are applied
to each word's top ``candidates`` cosine neighbours (one FAISS search per direction) instead of a full
similarity row, which picks the same word unless the CSLS winner lies outside them or all of them are dropped.
The final mapping stays orthogonal (VecMap's optional whitening and re-weighting are not applied), so
``mapping.npy`` is a single ``(d, d)`` matrix on the source side.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
from tqdm.auto import tqdm

from lingualift.lexicon.procrustes import procrustes_from_pairs, small_svd
from lingualift.lexicon.retrieval import build_index, knn
from lingualift.lexicon.vectors import normalize

logger = logging.getLogger(__name__)


@dataclass
class RobustOptions:
    """Knobs of the ``robust`` method (defaults tuned for a ≤ 2 min CPU run on 20k-word vocabularies)."""

    init_vocab: int = 4000
    explore_vocab: int = 5000
    dict_vocab: int = 20_000
    csls_k: int = 10
    candidates: int = 48
    keep_prob: float = 0.1
    keep_prob_multiplier: float = 2.0
    patience: int = 2
    threshold: float = 1e-3
    max_iterations: int = 100
    final_iterations: int = 4


def similarity_signatures(vectors: np.ndarray, size: int = 512) -> np.ndarray:
    """Sorted rows of ``sqrt(V Vᵀ)``, normalised: VecMap's language-independent initial representation.

    A sorted row is a smooth monotone curve, so ``size`` evenly spaced quantiles of it carry nearly all its
    information; keeping those instead of all ``n`` values makes the signature product ~``n / size`` faster.
    """
    u, s, _ = small_svd(vectors)
    signatures = ((u * s) @ u.T).astype(np.float32)
    signatures.sort(axis=1)
    if size < signatures.shape[1]:
        signatures = signatures[:, np.linspace(0, signatures.shape[1] - 1, size).round().astype(np.int64)]
    return normalize(signatures)


def initial_pairs(x: np.ndarray, z: np.ndarray, init_vocab: int, csls_k: int) -> np.ndarray:
    """Seed dictionary from CSLS nearest neighbours between similarity signatures, in both directions.

    The ``init_vocab × init_vocab`` signature similarity is formed once (64 MB for 4k words; it is bounded by
    ``init_vocab``, not by the vocabulary size) so both directions and both CSLS terms share one product.
    """
    n = min(init_vocab, x.shape[0], z.shape[0])
    similarity = similarity_signatures(x[:n]) @ similarity_signatures(z[:n]).T
    k = min(csls_k, n)
    r_x = -np.partition(-similarity, k - 1, axis=1)[:, :k].mean(1)
    r_z = -np.partition(-similarity, k - 1, axis=0)[:k].mean(0)
    similarity -= r_x[:, None] / 2
    similarity -= r_z[None, :] / 2
    rows = np.arange(n)
    forward, backward = similarity.argmax(1), similarity.argmax(0)
    return np.concatenate([np.stack([rows, forward], 1), np.stack([backward, rows], 1)])


def induce_pairs(
    xw: np.ndarray,
    z: np.ndarray,
    n: int,
    keep_prob: float,
    rng: np.random.Generator,
    csls_k: int = 10,
    candidates: int = 32,
) -> tuple[np.ndarray, float]:
    """One round of (stochastic) CSLS dictionary induction over the top ``n`` words in both directions.

    One cosine search per direction yields both the CSLS neighbourhood terms (mean of the top ``csls_k``)
    and the ``candidates`` nearest words, which are re-ranked by CSLS (``2 cos - r_x - r_z``) before the
    stochastic pick. Returns the union dictionary and the objective (mean best cosine over both directions).
    """
    xs, zs = np.ascontiguousarray(xw[:n]), np.ascontiguousarray(z[:n])
    width = max(csls_k, candidates)
    forward_cos, forward_ids = knn(xs, build_index(zs), width)
    backward_cos, backward_ids = knn(zs, build_index(xs), width)
    r_x, r_z = forward_cos[:, :csls_k].mean(1), backward_cos[:, :csls_k].mean(1)
    objective = float(forward_cos[:, 0].mean() + backward_cos[:, 0].mean()) / 2
    picks = []
    for cos, ids, r_q, r_b in ((forward_cos, forward_ids, r_x, r_z), (backward_cos, backward_ids, r_z, r_x)):
        csls = 2 * cos - r_q[:, None] - r_b[ids]
        order = np.argsort(-csls, axis=1, kind="stable")
        ranked = np.take_along_axis(ids, order, axis=1)
        if keep_prob < 1.0:
            kept = rng.random(ranked.shape) < keep_prob
            choice = np.where(kept.any(1), kept.argmax(1), 0)
        else:
            choice = np.zeros(len(ranked), dtype=np.int64)
        picks.append(ranked[np.arange(len(ranked)), choice])
    rows = np.arange(n)
    pairs = np.concatenate([np.stack([rows, picks[0]], 1), np.stack([picks[1], rows], 1)])
    return pairs, objective


def robust_mapping(
    x: np.ndarray, z: np.ndarray, seed: int = 0, options: RobustOptions | None = None, progress: bool = False
) -> tuple[np.ndarray, dict]:
    """Learn an orthogonal ``W`` (``x @ W ≈ z``) from normalised spaces ``x``, ``z`` without supervision."""
    options = options or RobustOptions()
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    pairs = initial_pairs(x, z, options.init_vocab, options.csls_k)
    init_seconds = time.perf_counter() - started
    explore_n = min(options.explore_vocab, options.dict_vocab, x.shape[0], z.shape[0])
    final_n = min(options.dict_vocab, x.shape[0], z.shape[0])
    keep_prob, best, last_improvement = options.keep_prob, -np.inf, 0
    history: list[float] = []
    bar = tqdm(total=options.max_iterations, desc=f"robust seed {seed}", disable=not progress, leave=False)
    iteration = 0
    # stochastic phase
    while iteration < options.max_iterations:
        iteration += 1
        if iteration - last_improvement > options.patience:
            if keep_prob >= 1.0:
                break
            keep_prob = min(1.0, keep_prob * options.keep_prob_multiplier)
            last_improvement = iteration
        mapping = procrustes_from_pairs(x, z, pairs)
        pairs, objective = induce_pairs(
            x @ mapping, z, explore_n, keep_prob, rng, options.csls_k, options.candidates
        )
        history.append(objective)
        if objective - best >= options.threshold:
            best, last_improvement = objective, iteration
        bar.update(1)
        bar.set_postfix(objective=f"{objective:.4f}", keep=f"{keep_prob:.2f}", n=explore_n)
    # deterministic rounds on the full dictionary vocabulary
    best = -np.inf
    for _ in range(options.final_iterations if final_n > explore_n else 0):
        iteration += 1
        mapping = procrustes_from_pairs(x, z, pairs)
        pairs, objective = induce_pairs(x @ mapping, z, final_n, 1.0, rng, options.csls_k, options.candidates)
        history.append(objective)
        bar.update(1)
        bar.set_postfix(objective=f"{objective:.4f}", keep="1.00", n=final_n)
        if objective - best < options.threshold:
            break
        best = objective
    bar.close()
    mapping = procrustes_from_pairs(x, z, pairs)
    info = {
        "iterations": iteration,
        "objective": history[-1] if history else None,
        "objective_history": [round(value, 6) for value in history],
        "init_seconds": round(init_seconds, 3),
        "dictionary_size": len(pairs),
        "options": asdict(options),
    }
    return mapping, info
