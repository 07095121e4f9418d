"""Synthetic bilingual spaces with a known answer, for tests and the benchmark.

The source space has the kind of structure real embeddings have (clusters of Zipf-distributed sizes around
a few hundred topics, anisotropic spectrum), so each word's similarity profile is distinctive. The target is a
random orthogonal rotation of the source plus Gaussian noise, with its vocabulary shuffled, so any method must
recover both the rotation and the word correspondence.
"""

from __future__ import annotations

import numpy as np

from lingualift.lexicon.vectors import Embeddings


def word(prefix: str, index: int) -> str:
    """Letters-only synthetic word (``prefix`` + base-26 letters) so lexicon filters keep it."""
    letters = ""
    while True:
        index, rest = divmod(index, 26)
        letters = chr(ord("a") + rest) + letters
        if index == 0:
            return prefix + letters


def random_rotation(dim: int, rng: np.random.Generator) -> np.ndarray:
    """Uniformly random orthogonal matrix (QR of a Gaussian matrix with sign correction)."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return (q * np.sign(np.diag(r))).astype(np.float32)


def structured_vectors(n: int, dim: int, rng: np.random.Generator, topics: int = 200) -> np.ndarray:
    """Clustered, anisotropic random vectors (float32, ``(n, dim)``)."""
    spectrum = (1.0 / np.arange(1, dim + 1) ** 0.5).astype(np.float32)
    centres = rng.standard_normal((topics, dim)).astype(np.float32) * spectrum
    sizes = 1.0 / np.arange(1, topics + 1)
    assignment = rng.choice(topics, size=n, p=sizes / sizes.sum())
    spread = rng.uniform(0.3, 1.0, size=(n, 1)).astype(np.float32)
    vectors = centres[assignment] + spread * rng.standard_normal((n, dim)).astype(np.float32) * spectrum
    return vectors.astype(np.float32)


def rotated_pair(
    n: int = 5000, dim: int = 64, noise: float = 0.01, seed: int = 0, shuffle_tail: bool = True
) -> tuple[Embeddings, Embeddings, dict[str, list[str]]]:
    """Source/target Embeddings and the gold dictionary ``{src word: [tgt word]}``.

    The target vocabulary is permuted; with ``shuffle_tail`` the permutation keeps the frequency ranks close
    (words move within blocks of 5% of the vocabulary), mimicking two languages' similar frequency orders.
    """
    rng = np.random.default_rng(seed)
    x = structured_vectors(n, dim, rng)
    scale = float(np.linalg.norm(x, axis=1).mean())
    z = x @ random_rotation(dim, rng) + noise * scale / np.sqrt(dim) * rng.standard_normal((n, dim)).astype(
        np.float32
    )
    if shuffle_tail:
        block = max(2, n // 20)
        order = np.concatenate(
            [start + rng.permutation(min(block, n - start)) for start in range(0, n, block)]
        )
    else:
        order = rng.permutation(n)
    # target row j holds source word order[j]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    src = Embeddings([word("s", i) for i in range(n)], x, source="synthetic-src")
    tgt = Embeddings([word("t", j) for j in range(n)], np.ascontiguousarray(z[order]), source="synthetic-tgt")
    gold = {word("s", i): [word("t", int(position[i]))] for i in range(n)}
    return src, tgt, gold


def unrelated_pair(n: int = 5000, dim: int = 64, seed: int = 0) -> tuple[Embeddings, Embeddings]:
    """Two independently drawn isotropic Gaussian spaces: no mapping relates them."""
    rng = np.random.default_rng(seed)
    src = Embeddings(
        [word("s", i) for i in range(n)],
        rng.standard_normal((n, dim)).astype(np.float32),
        source="random-src",
    )
    tgt = Embeddings(
        [word("t", i) for i in range(n)],
        rng.standard_normal((n, dim)).astype(np.float32),
        source="random-tgt",
    )
    return src, tgt
