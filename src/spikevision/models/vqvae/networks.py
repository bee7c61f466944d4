"""Spiking encoder and decoder of the VQ-VAE (taming VQGAN shapes, shared SNN blocks).

Both map multi-step tensors ``[T, B, C, H, W]`` to ``[T, B, C', H', W']`` and reset their
neurons at the end of every call. ``_forward`` runs without the reset, so the same network can
also be driven one time step at a time (the reference style; see benchmarks/bench_vqvae.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from spikevision.snn import (
    LIFNonlinearity,
    SnnAttnBlock,
    SnnDownsample,
    SnnResnetBlock,
    SnnUpsample,
    TimeDistributed,
    reset_states,
)
from spikevision.snn.blocks import group_norm


class _ResettingNet(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self._forward(x)
        finally:
            reset_states(self)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


def _level_blocks(c_in: int, c_out: int, count: int, attn: bool, dropout: float,
                  lif: Mapping[str, Any] | None) -> nn.Sequential:
    blocks: list[nn.Module] = []
    for _ in range(count):
        blocks.append(SnnResnetBlock(c_in, c_out, dropout, lif))
        c_in = c_out
        if attn:
            blocks.append(SnnAttnBlock(c_out, lif))
    return nn.Sequential(*blocks)


def _middle(c: int, dropout: float, lif: Mapping[str, Any] | None) -> nn.Sequential:
    return nn.Sequential(SnnResnetBlock(c, c, dropout, lif), SnnAttnBlock(c, lif),
                         SnnResnetBlock(c, c, dropout, lif))


class SnnEncoder(_ResettingNet):
    """conv_in → per level ``num_res_blocks`` × (Res [+ Attn at ``attn_resolutions``]) →
    Downsample (not after the last level) → Res/Attn/Res → GN → LIF-nonlin → conv_out.

    ``[T, B, in_channels, R, R]`` → ``[T, B, z_channels, R/2^(L−1), R/2^(L−1)]``.
    """

    def __init__(self, in_channels: int = 3, ch: int = 128, ch_mult: Sequence[int] = (1, 1, 2, 2, 4),
                 num_res_blocks: int = 2, attn_resolutions: Sequence[int] = (16,), resolution: int = 256,
                 z_channels: int = 256, dropout: float = 0.0,
                 lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.conv_in = TimeDistributed(nn.Conv2d(in_channels, ch, 3, padding=1))
        levels = []
        c_prev, res = ch, resolution
        for i, mult in enumerate(ch_mult):
            stage = nn.Module()
            stage.blocks = _level_blocks(c_prev, ch * mult, num_res_blocks, res in attn_resolutions,
                                         dropout, lif)
            c_prev = ch * mult
            last = i == len(ch_mult) - 1
            stage.downsample = nn.Identity() if last else SnnDownsample(c_prev)
            res = res if last else res // 2
            levels.append(stage)
        self.down = nn.ModuleList(levels)
        self.mid = _middle(c_prev, dropout, lif)
        self.norm_out = TimeDistributed(group_norm(c_prev))
        self.act_out = LIFNonlinearity(lif)
        self.conv_out = TimeDistributed(nn.Conv2d(c_prev, z_channels, 3, padding=1))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        for stage in self.down:
            h = stage.downsample(stage.blocks(h))
        h = self.mid(h)
        return self.conv_out(self.act_out(self.norm_out(h)))


class SnnDecoder(_ResettingNet):
    """conv_in → Res/Attn/Res → per level (coarse→fine) ``num_res_blocks + 1`` × (Res [+ Attn])
    → Upsample (not after the finest level) → GN → LIF-nonlin → conv_out.

    ``[T, B, z_channels, r, r]`` → ``[T, B, out_channels, r·2^(L−1), r·2^(L−1)]`` (real values).
    """

    def __init__(self, out_channels: int = 3, ch: int = 128, ch_mult: Sequence[int] = (1, 1, 2, 2, 4),
                 num_res_blocks: int = 2, attn_resolutions: Sequence[int] = (16,), resolution: int = 256,
                 z_channels: int = 256, dropout: float = 0.0,
                 lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        c_prev = ch * ch_mult[-1]
        res = resolution // 2 ** (len(ch_mult) - 1)
        self.conv_in = TimeDistributed(nn.Conv2d(z_channels, c_prev, 3, padding=1))
        self.mid = _middle(c_prev, dropout, lif)
        levels = []
        for i in reversed(range(len(ch_mult))):
            stage = nn.Module()
            stage.blocks = _level_blocks(c_prev, ch * ch_mult[i], num_res_blocks + 1,
                                         res in attn_resolutions, dropout, lif)
            c_prev = ch * ch_mult[i]
            stage.upsample = SnnUpsample(c_prev) if i > 0 else nn.Identity()
            res = res * 2 if i > 0 else res
            levels.append(stage)
        self.up = nn.ModuleList(levels)
        self.norm_out = TimeDistributed(group_norm(c_prev))
        self.act_out = LIFNonlinearity(lif)
        self.conv_out = TimeDistributed(nn.Conv2d(c_prev, out_channels, 3, padding=1))

    def _forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.conv_in(z))
        for stage in self.up:
            h = stage.upsample(stage.blocks(h))
        return self.conv_out(self.act_out(self.norm_out(h)))

    @property
    def last_layer(self) -> torch.Tensor:
        """The weight the adaptive GAN weight differentiates against."""
        return self.conv_out.module.weight


EncoderSnn = SnnEncoder  # old name, kept so saved run configs load
DecoderSnn = SnnDecoder  # old name, kept so saved run configs load
