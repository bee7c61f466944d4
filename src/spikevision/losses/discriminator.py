"""PatchGAN discriminator (pix2pix/taming "NLayerDiscriminator"): ``[B, C, H, W]`` → logits
``[B, 1, H', W']``, one real/fake score per receptive-field patch."""

from __future__ import annotations

from torch import nn


def gan_weights_init(module: nn.Module) -> None:
    """N(0, 0.02) conv weights; N(1, 0.02) norm scales with zero bias."""
    name = type(module).__name__
    if "Conv" in name:
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class NLayerDiscriminator(nn.Module):
    """4×4 convs: stride 2 for ``n_layers`` levels (channels ``ndf·min(2^i, 8)``), BatchNorm,
    LeakyReLU(0.2), then a stride-1 level and a 1-channel output conv."""

    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride, 1, bias=False),
                       nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
        self.main = nn.Sequential(*layers)
        self.apply(gan_weights_init)

    def forward(self, x):
        return self.main(x)
