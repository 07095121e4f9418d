"""``adversarial``: MUSE (Conneau et al., ICLR 2018) — a discriminator against a linear map, then refinement.

A discriminator (input dropout 0.1, hidden layers with LeakyReLU 0.2) learns to tell mapped source vectors
from target vectors among the ``most_frequent`` words of each language; the map ``W`` is trained to fool it
(``dis_steps`` discriminator updates per map update, SGD, label smoothing) and kept near-orthogonal after
every update with ``W ← (1 + β) W − β W Wᵀ W``. After each epoch the unsupervised criterion picks the best
``W``; then Procrustes refinement on CSLS mutual nearest neighbours (``refine_iterations``).

The paper runs 5 epochs × 1M samples (31,250 map updates each) with 2048-unit layers on a GPU; that is the
default on CUDA (``AdversarialOptions.paper()``). On CPU it would take hours, so when ``steps_per_epoch`` /
``dis_hidden`` are left ``None`` a CPU run uses 5 epochs × 600 map updates (96k samples in all, batch 32 as in
MUSE) and 256-unit layers: one seed then takes about a minute of training plus refinement on one core. The
training loop runs torch with ``cpu_threads`` (default 1) intra-op threads: its matrices are tiny (32×300 to
256×256), and multithreaded OpenMP on shared cores made each step 35× slower (measured: 2.8 ms vs 103 ms per
discriminator step at 512 units, load average 4 on 2 cores).

Everything else follows MUSE: SGD lr 0.1 for both players, the map's lr × 0.98 per epoch and halved from the
second time the criterion drops, the best epoch by criterion kept, ``most_frequent`` words (75k) fed to the
discriminator. Failure detection (``induce_lexicon``) then decides whether the refined mapping is usable.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
from tqdm.auto import tqdm

from lingualift.lexicon.procrustes import refine
from lingualift.lexicon.selection import unsupervised_criterion

logger = logging.getLogger(__name__)


GPU_STEPS_PER_EPOCH = 1_000_000 // 32  # MUSE's epoch: 1M samples in batches of 32
GPU_HIDDEN = 2048
CPU_STEPS_PER_EPOCH = 600
CPU_HIDDEN = 256


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
    map_lr: float = 0.1
    lr_decay: float = 0.98
    lr_shrink: float = 0.5
    min_lr: float = 1e-6
    map_beta: float = 0.001
    most_frequent: int = 75_000
    criterion_words: int = 10_000
    refine_iterations: int = 5
    refine_max_rank: int = 15_000
    device: str = "auto"
    cpu_threads: int = 1

    @classmethod
    def paper(cls) -> AdversarialOptions:
        """MUSE's published settings (5 epochs of 1M samples, batch 32, 2048-unit layers): meant for a GPU."""
        return cls(epochs=5, steps_per_epoch=GPU_STEPS_PER_EPOCH, batch_size=32, dis_hidden=GPU_HIDDEN)

    def resolved(self, device: str) -> AdversarialOptions:
        """Fill the device defaults: the paper's sizes on CUDA, the bounded CPU sizes otherwise."""
        on_gpu = device.startswith("cuda")
        return replace(
            self,
            device=device,
            steps_per_epoch=self.steps_per_epoch or (GPU_STEPS_PER_EPOCH if on_gpu else CPU_STEPS_PER_EPOCH),
            dis_hidden=self.dis_hidden or (GPU_HIDDEN if on_gpu else CPU_HIDDEN),
        )


def _discriminator(dim: int, options: AdversarialOptions):
    from torch import nn

    layers: list[nn.Module] = [nn.Dropout(options.dis_input_dropout)]
    width = dim
    for _ in range(options.dis_layers):
        layers += [nn.Linear(width, options.dis_hidden), nn.LeakyReLU(0.2)]
        width = options.dis_hidden
    layers += [nn.Linear(width, 1)]
    return nn.Sequential(*layers)


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
        best_weight, best_criterion, history = _train(x, z, seed, options, progress)
    adversarial_seconds = time.perf_counter() - started
    mapping = best_weight.T.astype(np.float32)
    mapping = refine(x, z, mapping, options.refine_iterations, options.refine_max_rank)
    info = {
        "adversarial_seconds": round(adversarial_seconds, 3),
        "refine_seconds": round(time.perf_counter() - started - adversarial_seconds, 3),
        "epoch_criteria": history,
        "best_adversarial_criterion": round(float(best_criterion), 6),
        "device": device,
        "options": asdict(options),
    }
    return mapping, info


def _train(
    x: np.ndarray, z: np.ndarray, seed: int, options: AdversarialOptions, progress: bool
) -> tuple[np.ndarray, float, list[float]]:
    """The adversarial game; returns the weight (``mapped = src @ weight.T``) of the best epoch by
    criterion."""
    import torch
    import torch.nn.functional as F

    device = options.device
    generator = torch.Generator(device="cpu").manual_seed(seed)
    torch.manual_seed(seed)
    dim = x.shape[1]
    n_src, n_tgt = min(options.most_frequent, len(x)), min(options.most_frequent, len(z))
    src = torch.from_numpy(np.ascontiguousarray(x[:n_src])).to(device)
    tgt = torch.from_numpy(np.ascontiguousarray(z[:n_tgt])).to(device)
    weight = torch.eye(dim, device=device, requires_grad=True)  # mapped = src @ weight.T (MUSE's nn.Linear)
    discriminator = _discriminator(dim, options).to(device)
    dis_optimizer = torch.optim.SGD(discriminator.parameters(), lr=options.dis_lr)
    map_optimizer = torch.optim.SGD([weight], lr=options.map_lr)
    bs = options.batch_size
    labels = torch.full((2 * bs, 1), options.dis_smooth, device=device)
    labels[:bs] = 1.0 - options.dis_smooth

    def batch() -> torch.Tensor:
        src_ids = torch.randint(n_src, (bs,), generator=generator).to(device)
        tgt_ids = torch.randint(n_tgt, (bs,), generator=generator).to(device)
        return torch.cat([src[src_ids] @ weight.T, tgt[tgt_ids]])

    best_criterion, best_weight, history = -np.inf, weight.detach().cpu().numpy().copy(), []
    dropped_before = False
    bar = tqdm(
        total=options.epochs * options.steps_per_epoch,
        desc=f"adversarial seed {seed}",
        disable=not progress,
        leave=False,
    )
    for epoch in range(options.epochs):
        for _ in range(options.steps_per_epoch):
            discriminator.train()
            for _ in range(options.dis_steps):
                with torch.no_grad():
                    inputs = batch()
                loss = F.binary_cross_entropy_with_logits(discriminator(inputs), labels)
                dis_optimizer.zero_grad(set_to_none=True)
                loss.backward()
                dis_optimizer.step()
            discriminator.eval()
            loss = F.binary_cross_entropy_with_logits(discriminator(batch()), 1.0 - labels)
            map_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            map_optimizer.step()
            with torch.no_grad():
                w = weight.data
                w.copy_((1 + options.map_beta) * w - options.map_beta * w @ w.T @ w)
            bar.update(1)
        current = weight.detach().cpu().numpy()
        criterion = unsupervised_criterion(x, z, current.T.copy(), options.criterion_words)
        history.append(round(criterion, 6))
        bar.set_postfix(epoch=epoch + 1, criterion=f"{criterion:.4f}")
        logger.debug("adversarial seed %d epoch %d: criterion %.4f", seed, epoch, criterion)
        # MUSE's schedule for the map: decay every epoch, shrink from the second time the criterion drops
        for group in map_optimizer.param_groups:
            group["lr"] = max(options.min_lr, group["lr"] * options.lr_decay)
        if criterion > best_criterion:
            best_criterion, best_weight = criterion, current.copy()
        else:
            if dropped_before:
                for group in map_optimizer.param_groups:
                    group["lr"] *= options.lr_shrink
            dropped_before = True
    bar.close()
    return best_weight, float(best_criterion), history
