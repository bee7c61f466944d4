"""Spiking convolutional blocks (taming-VQGAN shapes with LIF nonlinearities). All ``[T, B, C, H, W]``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from einops import rearrange
from torch import nn

from spikevision.snn.neurons import LIFNonlinearity, make_lif
from spikevision.snn.time_distributed import TimeDistributed, merge_time, split_time


def group_norm(channels: int, max_groups: int = 32) -> nn.GroupNorm:
    """GroupNorm with 32 groups, or the largest divisor of ``channels`` below that (small models)."""
    groups = max(g for g in range(1, max_groups + 1) if channels % g == 0)
    return nn.GroupNorm(groups, channels, eps=1e-6, affine=True)


class SnnResnetBlock(nn.Module):
    """GN → LIF-nonlin → 3×3 conv → GN → LIF-nonlin → dropout → 3×3 conv, plus a shortcut."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int | None = None,
        dropout: float = 0.0,
        lif: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        out_channels = out_channels or in_channels
        self.norm1 = TimeDistributed(group_norm(in_channels))
        self.act1 = LIFNonlinearity(lif)
        self.conv1 = TimeDistributed(nn.Conv2d(in_channels, out_channels, 3, padding=1))
        self.norm2 = TimeDistributed(group_norm(out_channels))
        self.act2 = LIFNonlinearity(lif)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = TimeDistributed(nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.shortcut = (
            TimeDistributed(nn.Conv2d(in_channels, out_channels, 1))
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act1(self.norm1(x)))
        h = self.conv2(self.dropout(self.act2(self.norm2(h))))
        return self.shortcut(x) + h


class SnnAttnBlock(nn.Module):
    """Spiking self-attention over pixels: q, k are LIF spikes, v real, weights q·kᵀ·C^-½, no softmax."""

    def __init__(self, channels: int, lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.norm = TimeDistributed(group_norm(channels))
        self.q = TimeDistributed(nn.Conv2d(channels, channels, 1))
        self.k = TimeDistributed(nn.Conv2d(channels, channels, 1))
        self.v = TimeDistributed(nn.Conv2d(channels, channels, 1))
        self.q_lif = make_lif(lif)
        self.k_lif = make_lif(lif)
        self.proj = TimeDistributed(nn.Conv2d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t, _, c, h, _ = x.shape
        hn = self.norm(x)

        def pixels(y: torch.Tensor) -> torch.Tensor:
            return rearrange(y, "t b c h w -> (t b) c (h w)")

        q, k, v = pixels(self.q_lif(self.q(hn))), pixels(self.k_lif(self.k(hn))), pixels(self.v(hn))
        weights = torch.bmm(q.transpose(1, 2), k) * c**-0.5  # [TB, HW(query), HW(key)]
        out = rearrange(torch.bmm(v, weights.transpose(1, 2)), "(t b) c (h w) -> t b c h w", t=t, h=h)
        return x + self.proj(out)


class SnnDownsample(nn.Module):
    """Halve H and W: strided 3×3 conv (asymmetric pad like taming) or 2×2 average pooling."""

    def __init__(self, channels: int, with_conv: bool = True) -> None:
        super().__init__()
        self.with_conv = with_conv
        if with_conv:
            self.conv = TimeDistributed(nn.Conv2d(channels, channels, 3, stride=2, padding=0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.with_conv:
            x = nn.functional.pad(x, (0, 1, 0, 1))
            return self.conv(x)
        return split_time(nn.functional.avg_pool2d(merge_time(x), 2), x.shape[0])


class SnnUpsample(nn.Module):
    """Double H and W by nearest-neighbour upsampling, then an optional 3×3 conv."""

    def __init__(self, channels: int, with_conv: bool = True) -> None:
        super().__init__()
        self.conv = (
            TimeDistributed(nn.Conv2d(channels, channels, 3, padding=1)) if with_conv else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = split_time(nn.functional.interpolate(merge_time(x), scale_factor=2.0, mode="nearest"), x.shape[0])
        return self.conv(x) if self.conv is not None else x


ResnetBlockSnn = SnnResnetBlock  # old name, kept so saved run configs load
AttnBlockSnn = SnnAttnBlock  # old name, kept so saved run configs load
DownsampleSnn = SnnDownsample  # old name, kept so saved run configs load
UpsampleSnn = SnnUpsample  # old name, kept so saved run configs load
