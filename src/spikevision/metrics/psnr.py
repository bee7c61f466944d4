"""PSNR per image, the mean of which the evaluation tables report (torchmetrics' PSNR pools the
squared error over the whole batch instead, which weights images differently)."""

from __future__ import annotations

import torch


def psnr_per_image(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``10·log10(1 / MSE)`` per image of ``[B, C, H, W]`` in [0, 1] → ``[B]``."""
    mse = (pred.float() - target.float()).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return -10.0 * torch.log10(mse)
