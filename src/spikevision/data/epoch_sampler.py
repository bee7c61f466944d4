"""A shuffling sampler whose order depends only on (seed, epoch).

``DataLoader(shuffle=True)`` draws its order from the global RNG, whose state a checkpoint does
not hold, so a run resumed at an epoch boundary sees other batches than an uninterrupted run and
ends with other weights. Seeding each epoch's permutation from the run's seed (``seed_everything``
sets ``PL_GLOBAL_SEED``) and the epoch number makes the resumed run identical. The epoch is read
from ``epoch_of()`` when given (the DataModule passes its trainer's ``current_epoch``: Lightning's
own ``set_epoch`` value runs one ahead after a resume at an epoch boundary), else from
``set_epoch``. Under DDP Lightning wraps the sampler in its distributed one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import torch
from torch.utils.data import Sampler


class EpochShuffleSampler(Sampler[int]):
    """A random permutation of ``range(length)`` per epoch, from ``seed`` and the epoch."""

    def __init__(self, length: int, seed: int | None = None, epoch_of: Callable[[], int | None] | None = None) -> None:
        self.length = int(length)
        self.seed = int(os.environ.get("PL_GLOBAL_SEED", 0)) if seed is None else int(seed)
        self.epoch = 0
        self.epoch_of = epoch_of

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[int]:
        current = self.epoch_of() if self.epoch_of is not None else None
        epoch = self.epoch if current is None else int(current)
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return iter(torch.randperm(self.length, generator=gen).tolist())

    def __len__(self) -> int:
        return self.length
