"""Differentiable CLIP preprocessing of reconstructions (gradients flow back to the image)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class ClipPreprocess(nn.Module):
    """``[B, 1 or 3, H, W]`` in [0, 1] → CLIP input ``[B, 3, size, size]``.

    Bilinear resize to the model's input size (antialiased when shrinking), grayscale
    replicated to RGB, then per-channel CLIP mean/std normalisation. Values are clamped to
    [0, 1] first with a straight-through gradient, so out-of-range outputs still get gradients.
    """

    def __init__(self, size: int | Sequence[int], mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.size = (int(size), int(size)) if isinstance(size, int) else tuple(int(s) for s in size)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"CLIP preprocessing expects [B, 1 or 3, H, W], got {tuple(images.shape)}")
        x = images + (images.clamp(0, 1) - images).detach()
        if tuple(x.shape[-2:]) != self.size:
            shrink = x.shape[-2] > self.size[0] or x.shape[-1] > self.size[1]
            x = nn.functional.interpolate(x, size=self.size, mode="bilinear", align_corners=False,
                                          antialias=shrink)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
