"""Stage 3, spikes-seed variant: a small U-Net refining the frozen coarse reconstruction.

``refined = sigmoid(logit(coarse) + UNet(coarse))`` with the U-Net's last convolution
initialised to zero, so training starts from the identity (refined = coarse).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    groups = 8 if cout % 8 == 0 else 1
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(groups, cout), nn.SiLU(),
        nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(groups, cout), nn.SiLU(),
    )


class RefinerUNet(nn.Module):
    """``[B, C, H, W]`` in [0, 1] → refined ``[B, C, H, W]`` in (0, 1).

    ``ch_mult[i]·ch`` channels at level i (downsampling by 2 between levels); sizes that are
    not multiples of ``2**(levels-1)`` are padded (reflect) and cropped back.
    """

    def __init__(self, channels: int = 1, ch: int = 32, ch_mult: Sequence[int] = (1, 2, 4)) -> None:
        super().__init__()
        chans = [ch * m for m in ch_mult]
        self.levels = len(chans)
        self.down = nn.ModuleList()
        prev = channels
        for c in chans:
            self.down.append(_block(prev, c))
            prev = c
        self.up = nn.ModuleList()
        self.fuse = nn.ModuleList()
        for c in reversed(chans[:-1]):
            self.up.append(nn.ConvTranspose2d(prev, c, 2, stride=2))
            self.fuse.append(_block(2 * c, c))
            prev = c
        self.out = nn.Conv2d(prev, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, coarse: torch.Tensor) -> torch.Tensor:
        h_in, w_in = coarse.shape[-2:]
        mult = 2 ** (self.levels - 1)
        pad_h, pad_w = (-h_in) % mult, (-w_in) % mult
        x = nn.functional.pad(coarse, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else coarse
        skips = []
        h = x
        for i, block in enumerate(self.down):
            h = block(h if i == 0 else nn.functional.max_pool2d(h, 2))
            skips.append(h)
        skips.pop()
        for up, fuse in zip(self.up, self.fuse):
            h = fuse(torch.cat([up(h), skips.pop()], dim=1))
        delta = self.out(h)[..., :h_in, :w_in]
        return torch.sigmoid(torch.logit(coarse.clamp(1e-4, 1 - 1e-4)) + delta)
