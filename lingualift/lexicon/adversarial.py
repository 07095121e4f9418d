"""``adversarial``: MUSE (Conneau et al., ICLR 2018) — a discriminator against a linear map, then refinement.

A discriminator (input dropout 0.1, hidden layers with LeakyReLU 0.2) learns to tell mapped source vectors
from target vectors among the ``most_frequent`` words of each language; the map ``W`` is trained to fool it
(``dis_steps`` discriminator updates per map update, SGD, label smoothing) and kept near-orthogonal after
every update with ``W ← (1 + β) W − β W Wᵀ W``. After each epoch the unsupervised criterion picks the best
``W``; then Procrustes refinement on CSLS mutual nearest neighbours (``refine_iterations``).

The paper runs 5 epochs × 1M samples (31,250 map updates each) with 2048-unit layers on a GPU; that is the
default on CUDA (``AdversarialOptions.paper()``). On CPU it would take hours, so when ``steps_per_epoch`` /
``dis_hidden`` are left ``None`` a CPU run uses 5 epochs × 600 map updates (96k samples in all, batch 32 as in
MUSE), 64-unit layers, map lr 0.3 and 16 independent games trained side by side as one batched computation,
the best kept after refinement. At this budget a single game converges only now and then (on the test's
synthetic rotation 1 or 2 games in 16 per seed), so it is the number of games that makes a seed succeed; a
64-unit discriminator costs about a quarter of a 256-unit one per game, and 16 such games cost about what 4
wide ones did (measured: 16 × 64 in 7.6 s per 150 updates vs 4 × 256 in 5.5 s, while 4 × 256 failed seed 3
and 16 × 64 converged for seeds 0-7; see ``CPU_GAMES``). The training loop runs torch with ``cpu_threads``
(default 1) intra-op threads: its matrices are tiny (32×300 to 64×64), and multithreaded OpenMP on shared
cores made each step 35× slower (measured: 2.8 ms vs 103 ms per discriminator step at 512 units, load
average 4 on 2 cores).

Everything else follows MUSE: SGD (lr 0.1 for the discriminator, and for the map on a GPU), the map's lr
× 0.98 per epoch and halved from the second time the criterion drops, the best epoch by criterion kept,
``most_frequent`` words (75k) fed to the discriminator. Failure detection (``induce_lexicon``) then decides
whether the refined mapping is usable.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from lingualift.lexicon.procrustes import refine
from lingualift.lexicon.selection import unsupervised_criterion

logger = logging.getLogger(__name__)


GPU_STEPS_PER_EPOCH = 1_000_000 // 32  # MUSE's epoch: 1M samples in batches of 32
GPU_HIDDEN = 2048
CPU_STEPS_PER_EPOCH = 600
CPU_HIDDEN = 64
# independent games trained side by side on a CPU; at the bounded CPU schedule a game converges only now and
# then (1-2 in 16 per seed on the synthetic rotation), so the best of many by the unsupervised criterion is
# kept: 16 narrow games cost about what 4 games of 256 units did, and converged for seeds 0-7 where 4 wide
# ones had failed seed 3 (README, lexicon induction)
CPU_GAMES = 16
# MUSE's map learning rate (0.1) is tuned for its 156k updates; the bounded CPU schedule has ~26x fewer, and
# at 0.1 most games were still drifting when it ended (measured on the synthetic rotation, see README)
CPU_MAP_LR = 0.3
PAPER_MAP_LR = 0.1


@dataclass
class AdversarialOptions:
    """Knobs of the ``adversarial`` method. ``None`` picks a device default (see :meth:`resolved`)."""

    epochs: int = 5
    steps_per_epoch: int | None = None
    batch_size: int = 32
    dis_steps: int = 5
    dis_hidden: int | None = None
    dis_layers: int = 2
    dis_input_dropout: float = 0.1
    dis_smooth: float = 0.1
    dis_lr: float = 0.1
    map_lr: float | None = None
    lr_decay: float = 0.98
    lr_shrink: float = 0.5
    min_lr: float = 1e-6
    map_beta: float = 0.001
    most_frequent: int = 75_000
    criterion_words: int = 10_000
    refine_iterations: int = 5
    refine_max_rank: int = 15_000
    games: int | None = None
    both_orientations: bool = True
    device: str = "auto"
    cpu_threads: int = 1

    @classmethod
    def paper(cls) -> AdversarialOptions:
        """MUSE's published settings (5 epochs of 1M samples, batch 32, 2048-unit layers): meant for a GPU."""
        return cls(
            epochs=5,
            steps_per_epoch=GPU_STEPS_PER_EPOCH,
            batch_size=32,
            dis_hidden=GPU_HIDDEN,
            games=1,
            map_lr=PAPER_MAP_LR,
            both_orientations=False,
        )

    def resolved(self, device: str) -> AdversarialOptions:
        """Fill the device defaults: the paper's sizes on CUDA, the bounded CPU sizes otherwise."""
        on_gpu = device.startswith("cuda")
        return replace(
            self,
            device=device,
            steps_per_epoch=self.steps_per_epoch or (GPU_STEPS_PER_EPOCH if on_gpu else CPU_STEPS_PER_EPOCH),
            dis_hidden=self.dis_hidden or (GPU_HIDDEN if on_gpu else CPU_HIDDEN),
            games=self.games or (1 if on_gpu else CPU_GAMES),
            map_lr=self.map_lr or (PAPER_MAP_LR if on_gpu else CPU_MAP_LR),
        )


class _Discriminators:
    """``games`` independent MUSE discriminators (input dropout, LeakyReLU 0.2 hidden layers, one logit)
    evaluated as one batched computation: on a CPU the per-op overhead of these tiny matrices dominates, so
    several games cost little more than one."""

    def __init__(self, games: int, dim: int, options: AdversarialOptions, device: str):
        import torch
        from torch import nn

        self.dropout = options.dis_input_dropout
        self.layers: list[tuple[torch.Tensor, torch.Tensor]] = []
        widths = [dim] + [options.dis_hidden] * options.dis_layers + [1]
        for fan_in, fan_out in itertools.pairwise(widths):
            # nn.Linear's default initialisation, drawn per game
            reference = [nn.Linear(fan_in, fan_out) for _ in range(games)]
            weight = torch.stack([layer.weight.detach().T for layer in reference]).to(device)
            bias = torch.stack([layer.bias.detach()[None, :] for layer in reference]).to(device)
            self.layers.append((weight.requires_grad_(True), bias.requires_grad_(True)))

    def parameters(self) -> list:
        return [tensor for layer in self.layers for tensor in layer]

    def __call__(self, inputs, train: bool):
        """Logits ``(games, batch, 1)`` of ``inputs`` ``(games, batch, dim)``."""
        import torch
        import torch.nn.functional as F

        hidden = F.dropout(inputs, self.dropout, training=train)
        for i, (weight, bias) in enumerate(self.layers):
            hidden = torch.baddbmm(bias, hidden, weight)
            if i < len(self.layers) - 1:
                hidden = F.leaky_relu(hidden, 0.2)
        return hidden


@contextlib.contextmanager
def _torch_threads(threads: int):
    """Run torch ops with ``threads`` intra-op threads, restoring the previous setting afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def adversarial_mapping(
    x: np.ndarray,
    z: np.ndarray,
    seed: int = 0,
    options: AdversarialOptions | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, dict]:
    """Learn ``W`` (``x @ W ≈ z``) adversarially from normalised spaces, then refine with Procrustes."""
    import torch

    options = options or AdversarialOptions()
    device = options.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    options = options.resolved(device)
    started = time.perf_counter()
    with _torch_threads(options.cpu_threads) if device == "cpu" else contextlib.nullcontext():
        games, history = _train(x, z, seed, options, progress)
    adversarial_seconds = time.perf_counter() - started
    # every game's best epoch is refined; the refined mapping with the best unsupervised criterion wins
    refined = [
        refine(x, z, weight.T.astype(np.float32), options.refine_iterations, options.refine_max_rank)
        for _, weight in games
    ]
    criteria = [unsupervised_criterion(x, z, mapping, options.criterion_words) for mapping in refined]
    winner = int(np.argmax(criteria))
    info = {
        "adversarial_seconds": round(adversarial_seconds, 3),
        "refine_seconds": round(time.perf_counter() - started - adversarial_seconds, 3),
        "epoch_criteria": history[winner],
        "best_adversarial_criterion": round(float(games[winner][0]), 6),
        "game": winner,
        "games": [
            {"epoch_criteria": history[g], "refined_criterion": round(float(criteria[g]), 6)}
            for g in range(len(games))
        ],
        "device": device,
        "options": asdict(options),
    }
    return refined[winner], info


def _initial_maps(games: int, dim: int, both_orientations: bool):
    """``(games, dim, dim)`` starting maps: the identity, and with ``both_orientations`` a reflection
    (``diag(1, ..., 1, -1)``) for every second game. The orthogonalisation step keeps each map near the
    orthogonal group, whose two components (det +1 and det -1) no continuous path joins, so a game started
    at the identity can only reach an improper mapping (det -1) through a large non-orthogonal excursion;
    starting half the games in each component lets the best-of-games selection cover both."""
    import torch

    maps = torch.eye(dim).repeat(games, 1, 1)
    if both_orientations:
        maps[1::2, -1, -1] = -1.0
    return maps


def _train(
    x: np.ndarray, z: np.ndarray, seed: int, options: AdversarialOptions, progress: bool
) -> tuple[list[tuple[float, np.ndarray]], list[list[float]]]:
    """``options.games`` independent adversarial games trained side by side (each one MUSE's: its own
    discriminator, map, batches and learning-rate schedule); returns each game's best epoch by the
    unsupervised criterion as ``(criterion, weight)`` (``mapped = src @ weight.T``), and every game's
    per-epoch criteria."""
    import torch
    import torch.nn.functional as F

    device, games, bs = options.device, options.games, options.batch_size
    generator = torch.Generator(device="cpu").manual_seed(seed)
    torch.manual_seed(seed)
    dim = x.shape[1]
    n_src, n_tgt = min(options.most_frequent, len(x)), min(options.most_frequent, len(z))
    src = torch.from_numpy(np.ascontiguousarray(x[:n_src])).to(device)
    tgt = torch.from_numpy(np.ascontiguousarray(z[:n_tgt])).to(device)
    # mapped = src @ weight.T (MUSE's nn.Linear), identity-initialised (MUSE); with both_orientations every
    # second game starts at a reflection instead (see _initial_maps)
    weight = _initial_maps(games, dim, options.both_orientations).to(device).requires_grad_(True)
    discriminators = _Discriminators(games, dim, options, device)
    dis_lr = options.dis_lr
    map_lr = torch.full((games, 1, 1), options.map_lr, device=device)
    labels = torch.full((games, 2 * bs, 1), options.dis_smooth, device=device)
    labels[:, :bs] = 1.0 - options.dis_smooth

    def batch() -> torch.Tensor:
        src_ids = torch.randint(n_src, (games, bs), generator=generator).to(device)
        tgt_ids = torch.randint(n_tgt, (games, bs), generator=generator).to(device)
        return torch.cat([torch.bmm(src[src_ids], weight.transpose(1, 2)), tgt[tgt_ids]], dim=1)

    def sgd(parameters: list, lr: Any) -> None:
        with torch.no_grad():
            for p in parameters:
                p -= lr * p.grad
                p.grad = None

    best = [(-np.inf, weight[g].detach().cpu().numpy().copy()) for g in range(games)]
    history: list[list[float]] = [[] for _ in range(games)]
    dropped_before = [False] * games
    bar = tqdm(
        total=options.epochs * options.steps_per_epoch,
        desc=f"adversarial seed {seed} ({games} games)",
        disable=not progress,
        leave=False,
    )
    for epoch in range(options.epochs):
        for _ in range(options.steps_per_epoch):
            for _ in range(options.dis_steps):
                with torch.no_grad():
                    inputs = batch()
                # mean over each game's batch, summed over games: each game's gradient is its own loss's
                loss = F.binary_cross_entropy_with_logits(
                    discriminators(inputs, train=True), labels, reduction="none"
                )
                loss.mean(dim=(1, 2)).sum().backward()
                sgd(discriminators.parameters(), dis_lr)
            logits = discriminators(batch(), train=False)
            loss = F.binary_cross_entropy_with_logits(logits, 1.0 - labels, reduction="none")
            loss.mean(dim=(1, 2)).sum().backward()
            for p in discriminators.parameters():
                p.grad = None  # the map step updates the map only
            sgd([weight], map_lr)
            with torch.no_grad():
                w = weight.data
                w.copy_((1 + options.map_beta) * w - options.map_beta * w @ w.transpose(1, 2) @ w)
            bar.update(1)
        for g in range(games):
            current = weight[g].detach().cpu().numpy()
            criterion = unsupervised_criterion(x, z, current.T.copy(), options.criterion_words)
            history[g].append(round(criterion, 6))
            logger.debug("adversarial seed %d game %d epoch %d: criterion %.4f", seed, g, epoch, criterion)
            # MUSE's schedule for the map: decay every epoch, shrink from the second time the criterion drops
            map_lr[g] = max(options.min_lr, float(map_lr[g]) * options.lr_decay)
            if criterion > best[g][0]:
                best[g] = (criterion, current.copy())
            else:
                if dropped_before[g]:
                    map_lr[g] *= options.lr_shrink
                dropped_before[g] = True
        bar.set_postfix(epoch=epoch + 1, criterion=f"{max(h[-1] for h in history):.4f}")
    bar.close()
    return [(float(c), w) for c, w in best], history
