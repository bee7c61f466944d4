"""LPIPS perceptual distance from the ``lpips`` package's calibrated linear weights and a
VGG16 backbone loaded from a local file or the torch hub cache (nothing is downloaded).

``d(x, y) = Σ_l mean_hw( w_l · (f̂_l(x) − f̂_l(y))² )`` with ``f̂`` the channel-normalised
features of layer l. A different (e.g. tiny) backbone can be injected: any module returning a
list of feature maps, with ``channels`` giving their widths (linear weights then start at 1/C).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from spikevision.losses.pretrained import find_weights

VGG16_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
VGG16_FILE = "vgg16-397923af.pth"
VGG_CHANNELS = (64, 128, 256, 512, 512)
VGG_SLICES = ((0, 4), (4, 9), (9, 16), (16, 23), (23, 30))  # relu1_2 … relu5_3


class VGG16Features(nn.Module):
    """torchvision VGG16 ``features`` cut after relu1_2, 2_2, 3_3, 4_3, 5_3 (frozen)."""

    def __init__(self, weights_path: str | None = None) -> None:
        super().__init__()
        from torchvision.models import vgg16

        path = find_weights("VGG16 (LPIPS backbone)", weights_path, VGG16_FILE, VGG16_URL)
        net = vgg16()
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.slices = nn.ModuleList(nn.Sequential(*net.features[a:b]) for a, b in VGG_SLICES)
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for s in self.slices:
            x = s(x)
            feats.append(x)
        return feats


def lpips_linear_weights() -> list[torch.Tensor]:
    """The five calibrated 1×1 weights ``[1, C, 1, 1]`` shipped with ``lpips`` (v0.1, vgg)."""
    import lpips

    path = Path(lpips.__file__).parent / "weights" / "v0.1" / "vgg.pth"
    state = torch.load(path, map_location="cpu", weights_only=True)
    return [state[f"lin{i}.model.1.weight"] for i in range(len(VGG_CHANNELS))]


class LPIPS(nn.Module):
    """Perceptual distance for images in [−1, 1] ``[B, 3, H, W]`` → ``[B]``.

    ``backbone=None`` builds VGG16 from ``vgg_weights`` (or the hub cache) and uses lpips's
    linear weights; pass a module + ``channels`` to use another backbone.
    """

    def __init__(self, vgg_weights: str | None = None, backbone: nn.Module | None = None,
                 channels: Sequence[int] | None = None) -> None:
        super().__init__()
        if backbone is None:
            self.backbone = VGG16Features(vgg_weights)
            lins = lpips_linear_weights()
        else:
            if not channels:
                raise ValueError("an injected LPIPS backbone needs its feature `channels`")
            self.backbone = backbone.requires_grad_(False)
            lins = [torch.full((1, c, 1, 1), 1.0 / c) for c in channels]
        for i, w in enumerate(lins):
            self.register_buffer(f"lin{i}", w.clone())
        self.n_layers = len(lins)
        # ImageNet-style input scaling used by LPIPS
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))

    def train(self, mode: bool = True) -> LPIPS:  # always frozen / eval
        return super().train(False)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 3:
            x, y = x.mean(1, keepdim=True).expand(-1, 3, -1, -1), y.mean(1, keepdim=True).expand(-1, 3, -1, -1)
        fx = self.backbone((x - self.shift) / self.scale)
        fy = self.backbone((y - self.shift) / self.scale)
        total = x.new_zeros(x.shape[0])
        for i, (a, b) in enumerate(zip(fx, fy)):
            a = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            b = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + ((a - b) ** 2 * getattr(self, f"lin{i}")).sum(1).mean((1, 2))
        return total
