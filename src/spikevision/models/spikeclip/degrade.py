"""Batched image degradations for low-quality (LQ) examples: Gaussian blur, a raised black level
(washed-out contrast) and Gaussian noise."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def gaussian_blur(images: torch.Tensor, sigma: torch.Tensor, kernel_size: int = 5) -> torch.Tensor:
    """Blur each image ``[B, C, H, W]`` with its own σ (``[B]``, pixels; σ = 0 leaves it unchanged).

    One grouped separable convolution for the whole batch (reflect padding).
    """
    if kernel_size % 2 != 1:
        raise ValueError(f"kernel_size must be odd, got {kernel_size}")
    b, c, h, w = images.shape
    r = kernel_size // 2
    x = torch.arange(-r, r + 1, device=images.device, dtype=images.dtype)
    s = sigma.to(images).clamp(min=1e-6).view(b, 1)
    k = torch.exp(-0.5 * (x / s) ** 2)
    k = torch.where(sigma.view(b, 1).to(images) > 0, k, (x == 0).to(images).expand(b, -1))
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(c, 0)  # [B·C, K]
    flat = nn.functional.pad(images.reshape(1, b * c, h, w), (r, r, r, r), mode="reflect")
    flat = nn.functional.conv2d(flat, k.view(b * c, 1, 1, -1), groups=b * c)
    flat = nn.functional.conv2d(flat, k.view(b * c, 1, -1, 1), groups=b * c)
    return flat.view(b, c, h, w)


class Degrade(nn.Module):
    """Random blur (σ ~ U(blur_sigma)), then a raised black level ``b ~ U(black_level)``
    (``x → b + (1 − b)·x``: a washed-out, low-contrast image), then additive noise
    (std ~ U(noise_std)), clamped to [0, 1]; each image is degraded with probability ``p``. Pass a
    ``generator`` for repeatable validation batches."""

    def __init__(self, noise_std: Sequence[float] = (0.0, 0.15), blur_sigma: Sequence[float] = (0.0, 1.5),
                 p: float = 1.0, kernel_size: int = 5, black_level: Sequence[float] = (0.0, 0.0)) -> None:
        super().__init__()
        self.noise_std = tuple(float(v) for v in noise_std)
        self.blur_sigma = tuple(float(v) for v in blur_sigma)
        self.black_level = tuple(float(v) for v in black_level)
        self.p, self.kernel_size = float(p), int(kernel_size)

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[B, C, H, W]`` in [0, 1] → degraded images, same shape."""
        return self.with_mask(images, generator)[0]

    def with_mask(self, images: torch.Tensor,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(degraded images, bool ``[B]``: which images were degraded)."""
        b = images.shape[0]
        dev = images.device if generator is None else torch.device("cpu")  # generators live on CPU here
        u = torch.rand(3, b, generator=generator, device=dev).to(images)
        degraded = u[0] < self.p
        on = degraded.to(images)
        sigma = (self.blur_sigma[0] + (self.blur_sigma[1] - self.blur_sigma[0]) * u[1]) * on
        std = (self.noise_std[0] + (self.noise_std[1] - self.noise_std[0]) * u[2]) * on
        noise = torch.randn(images.shape, generator=generator, device=dev).to(images)
        out = gaussian_blur(images, sigma, self.kernel_size)
        if self.black_level != (0.0, 0.0):  # drawn only when used: other settings keep their random streams
            level = (self.black_level[0] + (self.black_level[1] - self.black_level[0])
                     * torch.rand(b, generator=generator, device=dev).to(images)) * on
            out = level.view(b, 1, 1, 1) + (1 - level.view(b, 1, 1, 1)) * out
        return (out + noise * std.view(b, 1, 1, 1)).clamp(0, 1), degraded.to(images.device)
