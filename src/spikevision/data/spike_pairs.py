"""Simulated spike-camera training pairs as a dataset (:class:`SpikePairs`); they are built by
:func:`spikevision.data.spike_pairs_builder.build_spike_pairs` (layout there).

**Dataset** (:class:`SpikePairs`): items ``input`` float32 ``[window, 1, H, W]`` (0/1),
``image`` float32 ``[1, H, W]`` in [0, 1], with optional random crop, 90° rotations and flips
applied identically to input and target.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from spikevision.data.recording_dataset import require_dir
from spikevision.data.spike_pairs_builder import (
    LAYOUT,
    META_FILE,
    build_spike_pairs,
)
from spikevision.errors import DatasetNotFoundError
from spikevision.transforms import center_crop, paired_augment

__all__ = ["SpikePairs", "build_spike_pairs", "paired_augment", "split_indices"]


def split_indices(num: int, split: str, val_fraction: float, test_fraction: float, seed: int) -> np.ndarray:
    """Indices of ``split`` ('train'/'validation'/'test'/'all') under a fixed permutation."""
    order = np.random.default_rng(seed).permutation(num)
    n_val, n_test = round(num * val_fraction), round(num * test_fraction)
    parts = {
        "validation": order[:n_val],
        "test": order[n_val : n_val + n_test],
        "train": order[n_val + n_test :],
        "all": np.arange(num),
    }
    if split not in parts:
        raise ValueError(f"split must be one of {sorted(parts)}, got '{split}'")
    return np.sort(parts[split])


class SpikePairs(Dataset):
    """A dataset built by :func:`build_spike_pairs`.

    ``split``: train/validation/test/all, drawn by a fixed permutation (``val_fraction``,
    ``test_fraction``, ``split_seed``). ``augment``: random 90° rotations (0/180° on non-square
    crops) and horizontal/vertical flips, identical for input and target (``rotate``/``flip``
    switch each off). ``crop``: random (train) or centre crop ``(h, w)``.
    """

    def __init__(
        self,
        root: str,
        split: str = "train",
        augment: bool = False,
        rotate: bool = True,
        flip: bool = True,
        crop: Sequence[int] | None = None,
        val_fraction: float = 0.05,
        test_fraction: float = 0.0,
        split_seed: int = 0,
        limit: int | None = None,
    ) -> None:
        base = require_dir(root, "spike-pair dataset", LAYOUT, "your own videos (README, section Spike camera)")
        if not (base / META_FILE).is_file():
            raise DatasetNotFoundError(f"{base} has no {META_FILE}; expected:\n{LAYOUT}")
        self.meta = json.loads((base / META_FILE).read_text())
        self.window, self.height, self.width = self.meta["window"], self.meta["height"], self.meta["width"]
        self.root = base
        self._spikes: list[np.ndarray] | None = None
        self._images: list[np.ndarray] | None = None
        offsets = np.cumsum([0] + [s["count"] for s in self.meta["shards"]])
        self.offsets = offsets
        self.indices = split_indices(int(offsets[-1]), split, val_fraction, test_fraction, split_seed)[:limit]
        if len(self.indices) == 0:
            raise DatasetNotFoundError(f"split '{split}' of {base} is empty ({offsets[-1]} pairs in all)")
        self.augment, self.rotate, self.flip = augment, rotate, flip
        self.crop = tuple(int(c) for c in crop) if crop is not None else None
        if self.crop is not None and (self.crop[0] > self.height or self.crop[1] > self.width):
            raise ValueError(f"crop {self.crop} is larger than the pairs ({self.height}×{self.width})")
        self.train_crop = split == "train"

    def _arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if self._spikes is None:  # memory-mapped lazily, so each dataloader worker opens its own
            names = [s["name"] for s in self.meta["shards"]]
            self._spikes = [np.load(self.root / f"{n}.spikes.npy", mmap_mode="r") for n in names]
            self._images = [np.load(self.root / f"{n}.images.npy", mmap_mode="r") for n in names]
        return self._spikes, self._images  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.indices)

    def pair(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Pair ``index`` of this split: spikes ``uint8 [window, H, W]``, image ``uint8 [H, W]``."""
        g = int(self.indices[index])
        shard = int(np.searchsorted(self.offsets, g, side="right") - 1)
        row = g - int(self.offsets[shard])
        spikes, images = self._arrays()
        bits = np.unpackbits(spikes[shard][row], count=self.window * self.height * self.width, bitorder="little")
        return bits.reshape(self.window, self.height, self.width), np.asarray(images[shard][row])

    def __getitem__(self, index: int) -> dict[str, Any]:
        bits, img = self.pair(index)
        spikes = torch.from_numpy(bits).float()[:, None]  # [window, 1, H, W]
        image = torch.from_numpy(img.astype(np.float32) / 255.0)[None]  # [1, H, W]
        if self.crop is not None and self.train_crop:
            ch, cw = self.crop
            top = int(torch.randint(0, self.height - ch + 1, ()))
            left = int(torch.randint(0, self.width - cw + 1, ()))
            spikes = spikes[..., top : top + ch, left : left + cw]
            image = image[..., top : top + ch, left : left + cw]
        elif self.crop is not None:
            spikes, image = center_crop(spikes, self.crop), center_crop(image, self.crop)
        if self.augment:
            square = spikes.shape[-1] == spikes.shape[-2]
            k = int(torch.randint(0, 4, ())) if square else 2 * int(torch.randint(0, 2, ()))
            flips = torch.randint(0, 2, (2,)) if self.flip else torch.zeros(2, dtype=torch.long)
            spikes, image = paired_augment(spikes, image, k if self.rotate else 0, bool(flips[0]), bool(flips[1]))
        return {
            "input": spikes.contiguous(),
            "image": image.contiguous(),
            "label": 0,
            "label_name": "scene",
            "index": index,
        }
