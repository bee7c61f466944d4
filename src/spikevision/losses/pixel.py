"""Pixel reconstruction loss: weighted L1 + (1 − SSIM) (torchmetrics' differentiable SSIM)."""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics.functional.image import structural_similarity_index_measure


class PixelLoss(nn.Module):
    """``l1_weight · |x − y|₁ + ssim_weight · (1 − SSIM(x, y))`` for images in [0, 1] ``[B, C, H, W]``.

    Returns ``(loss, parts)`` where ``parts`` holds the detached terms for logging.
    """

    def __init__(self, l1_weight: float = 1.0, ssim_weight: float = 0.0, ssim_kernel: int = 7) -> None:
        super().__init__()
        if l1_weight < 0 or ssim_weight < 0 or l1_weight + ssim_weight == 0:
            raise ValueError("PixelLoss needs non-negative weights with a positive sum")
        self.l1_weight = l1_weight
        self.ssim_weight = ssim_weight
        self.ssim_kernel = ssim_kernel

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        l1 = (pred - target).abs().mean()
        loss = self.l1_weight * l1
        parts = {"l1": l1.detach()}
        if self.ssim_weight > 0:
            ssim = structural_similarity_index_measure(
                pred, target, data_range=1.0, kernel_size=self.ssim_kernel
            )
            loss = loss + self.ssim_weight * (1.0 - ssim)
            parts["ssim"] = ssim.detach()
        return loss, parts
