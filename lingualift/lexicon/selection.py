"""Model selection and failure detection without any gold dictionary.

MUSE's unsupervised validation criterion: translate the top ``n_words`` source words with CSLS among the top
``n_words`` target words and average the cosine of each word with its translation. Successful mappings of
related languages score clearly higher than what an unrelated pair of spaces reaches after the same amount
of fitting. Failure is also flagged when the CSLS mutual nearest neighbours collapse: a good mapping makes a
large share of frequent words each other's nearest neighbour, a failed one very few.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingualift.lexicon.retrieval import csls_knn


@dataclass
class SelectionScore:
    """Unsupervised quality of one mapping."""

    criterion: float
    mutual_nn_rate: float
    n_words: int

    def as_dict(self) -> dict[str, float]:
        return {"criterion": round(self.criterion, 6), "mutual_nn_rate": round(self.mutual_nn_rate, 6),
                "n_words": self.n_words}


def score_mapping(xw: np.ndarray, z: np.ndarray, n_words: int = 10_000, csls_k: int = 10) -> SelectionScore:
    """MUSE criterion (mean cosine of CSLS translations) and the CSLS mutual-NN rate over the top words."""
    n_src, n_tgt = min(n_words, xw.shape[0]), min(n_words, z.shape[0])
    xs, zs = np.ascontiguousarray(xw[:n_src]), np.ascontiguousarray(z[:n_tgt])
    _, forward = csls_knn(xs, zs, 1, csls_k)
    _, backward = csls_knn(zs, xs, 1, csls_k)
    forward = forward[:, 0]
    cosines = np.einsum("ij,ij->i", xs, zs[forward])
    mutual = backward[forward, 0] == np.arange(n_src)
    return SelectionScore(float(cosines.mean()), float(mutual.mean()), int(n_src))


@dataclass
class FailureThresholds:
    """Below either threshold a mapping is declared failed (calibrated on real and unrelated random spaces)."""

    min_criterion: float = 0.0
    min_mutual_nn_rate: float = 0.05


def failure_reason(score: SelectionScore, thresholds: FailureThresholds) -> str | None:
    """A human-readable reason when ``score`` looks like a failed mapping, else ``None``."""
    problems = []
    if score.mutual_nn_rate < thresholds.min_mutual_nn_rate:
        problems.append(
            f"only {score.mutual_nn_rate:.1%} of the top {score.n_words} words are CSLS mutual nearest neighbours "
            f"(needs ≥ {thresholds.min_mutual_nn_rate:.1%})"
        )
    if score.criterion < thresholds.min_criterion:
        problems.append(
            f"unsupervised criterion {score.criterion:.4f} < {thresholds.min_criterion:.4f}"
        )
    if not problems:
        return None
    return "mapping failed (spaces look unrelated or the method diverged): " + "; ".join(problems)
