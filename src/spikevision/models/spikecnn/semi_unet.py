"""Semi-UNet: the spikling restorer's CNN, a spike window ``[B, W, H, W']`` → image ``[B, 1, H, W']``.

A three-level encoder–decoder whose skips are *added* (not concatenated) and whose last decoder
stage returns to the input's channel count so the input window itself is added back before a
1×1 projection to one channel ("semi" U-Net: one resolution-preserving path plus two
downsamplings). Widths ``ch, 2ch, 4ch`` (64/128/256 by default), InstanceNorm + ReLU, 4×4
stride-2 convolutions down, 4×4 stride-2 transposed convolutions up, tanh on the last stage.

The network works in signed units: spikes enter as ``2s − 1`` ∈ {−1, 1} and the output is an
image in [−1, 1] (the caller maps it to [0, 1]). Height and width must be multiples of 4
(:class:`~spikevision.models.spikecnn.SpikeCnnModel` pads).

``init``: ``"torch"`` (PyTorch's default initialisation), ``"spikling"`` (all convolution weights
drawn from N(0, 0.02), spikling's SRGAN-style init) or ``"window"`` (spikling's, then the 1×1
projection set to the window mean ``1/in_channels`` and the last convolution of the decoder to
zero, so the untrained network *is* the window method — on signed spikes the mean is
``2·rate − 1`` — and training learns a correction to it).
"""

from __future__ import annotations

from torch import Tensor, nn


def _conv(cin: int, cout: int, kernel: int = 3, stride: int = 1, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, 1, bias=False), nn.InstanceNorm2d(cout)]
    return layers + [nn.ReLU(inplace=True)] if relu else layers


def _up(cin: int, cout: int) -> list[nn.Module]:
    return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.InstanceNorm2d(cout), nn.ReLU(inplace=True)]


class SemiUNet(nn.Module):
    """``in_channels`` = spike window length (32 in spikling); ``ch`` = width of the first level."""

    multiple = 4  # spatial sizes must be divisible by this

    def __init__(self, in_channels: int = 32, ch: int = 64, out_channels: int = 1, init: str = "torch") -> None:
        super().__init__()
        if init not in ("torch", "spikling", "window"):
            raise ValueError(f"SemiUNet init must be 'torch', 'spikling' or 'window', got {init!r}")
        self.in_channels = in_channels
        c1, c2, c3 = ch, 2 * ch, 4 * ch
        self.level1 = nn.Sequential(*_conv(in_channels, c1, relu=False), *_conv(c1, c1))
        self.level2 = nn.Sequential(*_conv(c1, c2, kernel=4, stride=2), *_conv(c2, c2))
        self.bottom = nn.Sequential(
            *_conv(c2, c3, kernel=4, stride=2), *_conv(c3, c3), *_conv(c3, c3), *_up(c3, c2)
        )
        self.up2 = nn.Sequential(*_conv(c2, c2), *_up(c2, c1))
        self.up1 = nn.Sequential(*_conv(c1, c1), nn.Conv2d(c1, in_channels, 3, 1, 1, bias=False), nn.Tanh())
        self.project = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        if init != "torch":
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    nn.init.normal_(m.weight, 0.0, 0.02)
        if init == "window":
            nn.init.constant_(self.project.weight, 1.0 / in_channels)
            nn.init.zeros_(self.up1[-2].weight)

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``[B, in_channels, H, W]`` signed spikes → ``[B, out_channels, H, W]`` in ≈[−1, 1]."""
        if x.shape[-2] % self.multiple or x.shape[-1] % self.multiple:
            raise ValueError(f"SemiUNet needs H and W divisible by {self.multiple}, got {tuple(x.shape[-2:])}")
        d1 = self.level1(x)
        d2 = self.level2(d1)
        u2 = self.up2(d2 + self.bottom(d2))
        u1 = self.up1(d1 + u2)
        return self.project(x + u1)
