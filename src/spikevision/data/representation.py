"""Dataset-side representations: an event stream or a spike stream → a ``[T, C, H, W]`` array.

Each representation has a ``cache_key`` so parsed results can be cached on disk per file and
parameter set (see :mod:`spikevision.data.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from spikevision.errors import ConfigError
from spikevision.events import to_frames, to_frames_torch, to_voxel_grid, to_voxel_grid_torch

EVENT_KINDS = ("frames", "voxel_grid")


@dataclass(frozen=True)
class EventRepresentation:
    """Events → ``float32 [num_bins, C, H, W]``; ``frames``: C = 2 (OFF, ON counts),
    ``voxel_grid``: C = 1 (signed bilinear E2VID grid). ``clip`` caps frame counts per pixel
    (0 = no cap); ``normalize`` applies E2VID normalisation to voxel grids."""

    kind: str = "frames"
    num_bins: int = 4
    height: int = 34
    width: int = 34
    normalize: bool = False
    clip: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ConfigError(f"representation.kind: unknown event representation '{self.kind}'; "
                              f"choose from {EVENT_KINDS}")
        if not isinstance(self.num_bins, int) or isinstance(self.num_bins, bool) or self.num_bins < 1:
            raise ConfigError(f"representation.num_bins must be an integer ≥ 1, got {self.num_bins!r}")

    @property
    def channels(self) -> int:
        return 2 if self.kind == "frames" else 1

    @property
    def cache_key(self) -> str:
        return (
            f"{self.kind}-b{self.num_bins}-{self.height}x{self.width}"
            f"-n{int(self.normalize)}-c{self.clip:g}"
        )

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if self.kind == "frames":
            rep = to_frames(events, self.num_bins, self.height, self.width)
            if self.clip > 0:
                np.minimum(rep, self.clip, out=rep)
            return rep
        grid = to_voxel_grid(events, self.num_bins, self.height, self.width, normalize=self.normalize)
        return grid[:, None]

    def batch_torch(self, events: dict[str, torch.Tensor], batch_size: int) -> torch.Tensor:
        """The same representation for a collated batch of events (see
        :func:`spikevision.events.events_to_tensors`) on their device: ``[B, T, C, H, W]``,
        equal to stacking ``self(events_i)``."""
        args = (events["x"], events["y"], events["t"], events["p"], events["batch_index"], batch_size,
                self.num_bins, self.height, self.width)
        if self.kind == "frames":
            rep = to_frames_torch(*args)
            return rep.clamp_(max=self.clip) if self.clip > 0 else rep
        return to_voxel_grid_torch(*args, normalize=self.normalize).unsqueeze(2)


@dataclass(frozen=True)
class SpikeBinRepresentation:
    """Spike stream ``uint8 [S, H, W]`` → ``float32 [num_bins, 1, H, W]``: the firing rate
    (spikes per frame, in [0, 1]) over ``num_bins`` equal consecutive groups of frames.
    ``S`` must be divisible by ``num_bins`` (SpikeCLIP's 200 frames → 50 bins of 4)."""

    num_bins: int = 4

    def __post_init__(self) -> None:
        if not isinstance(self.num_bins, int) or isinstance(self.num_bins, bool) or self.num_bins < 1:
            raise ConfigError(f"representation.num_bins must be an integer ≥ 1, got {self.num_bins!r}")

    @property
    def cache_key(self) -> str:
        return f"spikebins-b{self.num_bins}"

    def __call__(self, spikes: np.ndarray) -> np.ndarray:
        frames = spikes.shape[0]
        if frames % self.num_bins:
            raise ValueError(
                f"a spike stream of {frames} frames cannot be split into {self.num_bins} equal bins"
            )
        grouped = spikes.reshape(self.num_bins, frames // self.num_bins, *spikes.shape[1:])
        return grouped.mean(axis=1, dtype=np.float32)[:, None]
