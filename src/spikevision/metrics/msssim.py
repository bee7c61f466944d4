"""MS-SSIM for small images: torchmetrics' measure with as many scales as the image allows.

Five scales with a k×k window need the short side > (k − 1)·2⁴ (96 px for k = 7). For smaller
images the coarsest scales are dropped and the remaining standard weights (Wang et al. 2003)
renormalised to sum to one; the scales used are part of the reported metric.
"""

from __future__ import annotations

import math

import torch
from torchmetrics.functional.image import multiscale_structural_similarity_index_measure

STANDARD_BETAS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def msssim_betas(height: int, width: int, kernel_size: int = 7) -> tuple[float, ...]:
    """Weights of the scales that fit a ``height × width`` image (at least one)."""
    short = min(height, width)
    scales = 1
    while scales < len(STANDARD_BETAS) and short > (kernel_size - 1) * 2**scales:
        scales += 1
    betas = STANDARD_BETAS[:scales]
    total = sum(betas)
    return tuple(b / total for b in betas)


def msssim_per_image(pred: torch.Tensor, target: torch.Tensor, kernel_size: int = 7) -> torch.Tensor:
    """MS-SSIM of each image pair ``[B, C, H, W]`` in [0, 1] → ``[B]``."""
    betas = msssim_betas(pred.shape[-2], pred.shape[-1], kernel_size)
    return multiscale_structural_similarity_index_measure(
        pred.float(), target.float(), data_range=1.0, kernel_size=kernel_size, betas=betas,
        reduction="none", normalize="relu")


def msssim_db(value: float) -> float:
    """MS-SSIM in dB, ``−10·log10(1 − MS-SSIM)`` (the JSCC papers' scale)."""
    return -10.0 * math.log10(max(1.0 - value, 1e-10))
