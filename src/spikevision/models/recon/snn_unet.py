"""Spiking encoder–decoder with U-Net skips: ``[T, B, C_in, H, W]`` → image ``[B, C_out, H, W]``.

Built from the shared SNN blocks (SnnResnetBlock, SnnAttnBlock, Down/SnnUpsample). The time
axis is decoded after the last spiking block (``mean``, ``last`` or ``membrane``) and a 3×3 conv
plus sigmoid gives intensities in [0, 1]. Inputs whose size is not a multiple of
``2**(levels-1)`` are zero-padded and the output cropped back.
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
    decode_output,
    reset_states,
)
from spikevision.snn.blocks import group_norm
from spikevision.snn.time_distributed import once_per_time


class SnnUNet(nn.Module):
    """Spiking U-Net. ``ch_mult[i]`` scales ``ch`` at level i; ``attn_levels`` lists the levels
    (0 = full resolution) with an SnnAttnBlock after each res block; the bottleneck always has
    res → attn → res. Neuron states are reset at the end of every forward."""

    def __init__(
        self,
        in_channels: int = 2,
        out_channels: int = 1,
        ch: int = 32,
        ch_mult: Sequence[int] = (1, 2, 2),
        num_res_blocks: int = 1,
        attn_levels: Sequence[int] = (),
        dropout: float = 0.0,
        decoding: str = "mean",
        lif: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.decoding = decoding
        self.levels = len(ch_mult)
        self.conv_in = TimeDistributed(nn.Conv2d(in_channels, ch, 3, padding=1))
        chans = [ch * m for m in ch_mult]
        self.down = nn.ModuleList()
        prev = ch
        for level, c in enumerate(chans):
            blocks: list[nn.Module] = []
            for _ in range(num_res_blocks):
                blocks.append(SnnResnetBlock(prev, c, dropout, lif))
                prev = c
                if level in attn_levels:
                    blocks.append(SnnAttnBlock(c, lif))
            stage = nn.Module()
            stage.blocks = nn.Sequential(*blocks)
            stage.downsample = SnnDownsample(c) if level < self.levels - 1 else nn.Identity()
            self.down.append(stage)
        self.mid = nn.Sequential(
            SnnResnetBlock(prev, prev, dropout, lif),
            SnnAttnBlock(prev, lif),
            SnnResnetBlock(prev, prev, dropout, lif),
        )
        self.up = nn.ModuleList()
        for level in reversed(range(self.levels)):
            c = chans[level]
            stage = nn.Module()
            stage.upsample = SnnUpsample(prev) if level < self.levels - 1 else nn.Identity()
            blocks = [SnnResnetBlock(prev + c, c, dropout, lif)]
            blocks += [SnnResnetBlock(c, c, dropout, lif) for _ in range(num_res_blocks - 1)]
            if level in attn_levels:
                blocks.append(SnnAttnBlock(c, lif))
            stage.blocks = nn.Sequential(*blocks)
            self.up.append(stage)
            prev = c
        self.norm_out = TimeDistributed(group_norm(prev))
        self.act_out = LIFNonlinearity(lif)
        self.conv_out = nn.Conv2d(prev, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``[T, B, C_in, H, W]`` → ``[B, C_out, H, W]`` in [0, 1]."""
        try:
            return self._forward(x)
        finally:
            reset_states(self)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        h_in, w_in = x.shape[-2:]
        return self.readout(self.features(self.pad(x)), h_in, w_in)

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """Zero-pad H and W of ``[T, B, C, H, W]`` up to a multiple of ``2**(levels-1)``."""
        mult = 2 ** (self.levels - 1)
        pad_h, pad_w = (-x.shape[-2]) % mult, (-x.shape[-1]) % mult
        if not (pad_h or pad_w):
            return x
        return once_per_time(lambda y: nn.functional.pad(y, (0, pad_w, 0, pad_h)), x)  # keeps a repeat a view

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Padded ``[T, B, C_in, H, W]`` → spike-gated features ``[T, B, ch, H, W]`` of the last block
        (neuron states carried, not reset: the network can also be stepped one time step at a time)."""
        h = self.conv_in(x)
        skips = []
        for stage in self.down:
            h = stage.blocks(h)
            skips.append(h)
            h = stage.downsample(h)
        h = self.mid(h)
        for stage in self.up:
            h = stage.upsample(h)
            h = stage.blocks(torch.cat([h, skips.pop()], dim=2))
        return self.act_out(self.norm_out(h))

    def readout(self, h: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """Decode ``[T, B, ch, H, W]`` over time, 3×3 conv, sigmoid, crop to ``height × width``."""
        return torch.sigmoid(self.conv_out(decode_output(h, self.decoding)))[..., :height, :width]
