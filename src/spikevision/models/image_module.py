"""The training/evaluation loop shared by every model whose output is an image.

Subclasses provide ``forward(input) → [B, C, H, W]`` in [0, 1] and ``loss_terms(pred, batch)``
(or override ``objective`` when the prediction needs more than ``forward``). The loop logs
``<split>/loss``, every detached part, and — when the batch has a ground-truth ``image`` —
PSNR/SSIM (torchmetrics, data range 1) for validation and test. ``ssim`` picks the SSIM:
``gaussian`` (torchmetrics' 11×11 Gaussian window, the default) or ``uniform`` (scikit-image's
7×7 uniform window, as in the SpikeCLIP paper); see :mod:`spikevision.metrics.ssim`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torchmetrics.image import PeakSignalNoiseRatio

from spikevision.metrics.ssim import ssim_metric

IMAGE_METRICS = ("psnr", "ssim")


def image_metrics(ssim: str = "gaussian") -> torch.nn.ModuleDict:
    """``{val,test}_{psnr,ssim}`` metric objects for images in [0, 1] (``ssim``: gaussian | uniform)."""
    return torch.nn.ModuleDict({
        f"{split}_{name}": metric
        for split in ("val", "test")
        for name, metric in (("psnr", PeakSignalNoiseRatio(data_range=1.0)),
                             ("ssim", ssim_metric(ssim, data_range=1.0)))
    })


class ImageOutputModule(pl.LightningModule):
    """Base LightningModule: shared steps and metrics; ``monitor`` names the checkpointed metric."""

    def __init__(self, monitor: str = "val/psnr", monitor_mode: str = "max", ssim: str = "gaussian") -> None:
        super().__init__()
        self.monitor = monitor
        self.monitor_mode = monitor_mode
        self.metrics = image_metrics(ssim)

    def loss_terms(self, pred: torch.Tensor, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Total loss of ``pred`` for ``batch`` and its detached parts (for logging)."""
        raise NotImplementedError

    def objective(
        self, batch: Mapping[str, Any], split: str
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """(loss, prediction ``[B, C, H, W]``, parts) of a batch."""
        pred = self(batch["input"])
        loss, parts = self.loss_terms(pred, batch)
        return loss, pred, parts

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> torch.Tensor:
        loss, pred, parts = self.objective(batch, "train")
        bs = pred.shape[0]
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log_dict({f"train/{k}": v for k, v in parts.items()}, batch_size=bs)
        return loss

    def _evaluate(self, batch: Mapping[str, Any], split: str) -> None:
        loss, pred, parts = self.objective(batch, split)
        bs = pred.shape[0]
        self.log(f"{split}/loss", loss, batch_size=bs, sync_dist=True)
        for key, value in parts.items():
            if key not in IMAGE_METRICS:  # those names belong to the metric objects below
                self.log(f"{split}/{key}", value, prog_bar=key == "clip_acc", batch_size=bs, sync_dist=True)
        if "image" in batch:
            for name in IMAGE_METRICS:
                metric = self.metrics[f"{split}_{name}"]
                metric.update(pred.clamp(0, 1), batch["image"])
                self.log(f"{split}/{name}", metric, prog_bar=name == "psnr", batch_size=bs)

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")
