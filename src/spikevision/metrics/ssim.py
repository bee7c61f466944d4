"""SSIM in its two common forms, batched in torch.

- ``"gaussian"``: torchmetrics' ``structural_similarity_index_measure`` (11×11 Gaussian window,
  σ = 1.5, Wang et al. 2004) — what the training loop logs as ``val/ssim``.
- ``"uniform"``: scikit-image's ``skimage.metrics.structural_similarity`` with its defaults
  (7×7 uniform window, sample covariance ``N/(N−1)``, K1 = 0.01, K2 = 0.03, the mean taken
  over the map with a border of 3 px cropped, each channel separately then averaged) — what
  the SpikeCLIP paper's tables use. :func:`ssim_uniform` equals skimage to ~1e-7 (tested).

The two are not interchangeable: the same images score differently (the uniform window is
more sensitive to fine texture), so every table says which one it reports.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchmetrics import Metric

SSIM_KINDS = ("gaussian", "uniform")


def ssim_uniform(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, win_size: int = 7,
                 k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """scikit-image-style SSIM of each image pair ``[B, C, H, W]`` → ``[B]`` (float64 inside).

    Equals ``structural_similarity(x, y, data_range=data_range, channel_axis=0)`` per image
    (``channel_axis=None`` for one channel). skimage filters the whole image (reflect padding)
    and then drops a ``(win_size − 1) // 2`` border before the mean: the kept values only see
    the image itself, so a "valid" box filter gives exactly those.
    """
    if pred.shape != target.shape or pred.dim() != 4:
        raise ValueError(f"ssim_uniform needs two [B, C, H, W] tensors of one shape, got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    if win_size % 2 != 1 or win_size > min(pred.shape[-2:]):
        raise ValueError(f"win_size must be odd and at most the image side ({tuple(pred.shape[-2:])}), "
                         f"got {win_size}")
    b, c, h, w = pred.shape
    x = pred.detach().double().reshape(b * c, 1, h, w)
    y = target.detach().double().reshape(b * c, 1, h, w)

    def box(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, win_size, stride=1)

    n = win_size**2
    cov_norm = n / (n - 1)
    ux, uy = box(x), box(y)
    vx = cov_norm * (box(x * x) - ux * ux)
    vy = cov_norm * (box(y * y) - uy * uy)
    vxy = cov_norm * (box(x * y) - ux * uy)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return s.mean((1, 2, 3)).reshape(b, c).mean(1).to(pred.dtype if pred.is_floating_point() else torch.float32)


def ssim_per_image(pred: torch.Tensor, target: torch.Tensor, kind: str = "gaussian",
                   data_range: float = 1.0) -> torch.Tensor:
    """SSIM of each image pair ``[B, C, H, W]`` → ``[B]``; ``kind``: ``gaussian`` or ``uniform``."""
    if kind == "uniform":
        return ssim_uniform(pred, target, data_range)
    if kind == "gaussian":
        from torchmetrics.functional.image import structural_similarity_index_measure

        return structural_similarity_index_measure(pred, target, data_range=data_range, reduction="none")
    raise ValueError(f"ssim must be one of {SSIM_KINDS}, got {kind!r}")


def ssim_label(kind: str) -> str:
    """How a table names the SSIM it reports."""
    return {"gaussian": "SSIM (11×11 Gaussian, torchmetrics)",
            "uniform": "SSIM (7×7 uniform, skimage)"}[kind]


class UniformSSIM(Metric):
    """Mean of :func:`ssim_uniform` over all images seen (a torchmetrics ``Metric``)."""

    higher_is_better = True
    full_state_update = False

    def __init__(self, data_range: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_range = data_range
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        values = ssim_uniform(pred, target, self.data_range)
        self.total += values.double().sum()
        self.count += values.numel()

    def compute(self) -> torch.Tensor:
        return (self.total / self.count).float()


def ssim_metric(kind: str = "gaussian", data_range: float = 1.0) -> Metric:
    """A torchmetrics metric object for the mean SSIM of ``kind``."""
    if kind == "uniform":
        return UniformSSIM(data_range)
    if kind == "gaussian":
        from torchmetrics.image import StructuralSimilarityIndexMeasure

        return StructuralSimilarityIndexMeasure(data_range=data_range)
    raise ValueError(f"ssim must be one of {SSIM_KINDS}, got {kind!r}")
