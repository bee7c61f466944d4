"""Spiking event/spike → image reconstruction as a LightningModule (SpikeCLIP's coarse stage).

Batches are dicts from the datasets: ``input`` ``[B, T, C, H, W]`` (or ``[B, C, H, W]`` with
``input_coding='direct'``) and ``image`` ``[B, C_img, H, W]`` in [0, 1] as the target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure

from spikevision.losses import PixelLoss
from spikevision.registry import instantiate_from_config
from spikevision.snn import encode_input
from spikevision.visualize import event_frames_rgb, side_by_side, to_rgb

DEFAULT_NETWORK = {"target": "spikevision.models.recon.snn_unet.SnnUNet", "params": {}}
INPUT_TRANSFORMS = ("none", "log1p")


class SnnReconModel(pl.LightningModule):
    """Train a spiking network to reconstruct ``image`` from ``input``.

    ``network``: target/params of the SNN (default :class:`SnnUNet`); ``time_steps``: T;
    ``loss``: PixelLoss weights; ``input_transform``: ``log1p`` compresses event counts.
    ``learning_rate`` is replaced by the trainer CLI when the config sets ``model.base_learning_rate``.
    """

    def __init__(
        self,
        network: Mapping[str, Any] | None = None,
        time_steps: int = 4,
        input_coding: str = "bins",
        input_transform: str = "log1p",
        loss: Mapping[str, Any] | None = None,
        learning_rate: float = 1e-3,
        monitor: str = "val/psnr",
        monitor_mode: str = "max",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if input_transform not in INPUT_TRANSFORMS:
            raise ValueError(f"input_transform must be one of {INPUT_TRANSFORMS}, got '{input_transform}'")
        self.net = instantiate_from_config(network or DEFAULT_NETWORK, key_path="model.params.network")
        self.loss = PixelLoss(**(loss or {}))
        self.time_steps = time_steps
        self.input_coding = input_coding
        self.input_transform = input_transform
        self.learning_rate = learning_rate
        self.monitor = monitor
        self.monitor_mode = monitor_mode
        self.metrics = torch.nn.ModuleDict(
            {
                f"{split}_{name}": metric
                for split in ("val", "test")
                for name, metric in (
                    ("psnr", PeakSignalNoiseRatio(data_range=1.0)),
                    ("ssim", StructuralSimilarityIndexMeasure(data_range=1.0)),
                )
            }
        )

    def prepare_input(self, x: torch.Tensor) -> torch.Tensor:
        """Dataset input → multi-step tensor ``[T, B, C, H, W]``."""
        if self.input_transform == "log1p":
            x = torch.sign(x) * torch.log1p(x.abs())
        return encode_input(x, self.input_coding, self.time_steps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: dataset input ``[B, T, C, H, W]`` → reconstruction ``[B, C_out, H, W]``."""
        return self.net(self.prepare_input(x))

    def training_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        recon = self(batch["input"])
        loss, parts = self.loss(recon, batch["image"])
        bs = recon.shape[0]
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log_dict({f"train/{k}": v for k, v in parts.items()}, batch_size=bs)
        return loss

    def _evaluate(self, batch: Mapping[str, torch.Tensor], split: str) -> None:
        recon = self(batch["input"])
        target = batch["image"]
        loss, _ = self.loss(recon, target)
        bs = recon.shape[0]
        self.log(f"{split}/loss", loss, batch_size=bs, sync_dist=True)
        for name in ("psnr", "ssim"):
            metric = self.metrics[f"{split}_{name}"]
            metric.update(recon.clamp(0, 1), target)
            self.log(f"{split}/{name}", metric, prog_bar=name == "psnr", batch_size=bs)

    def validation_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net.parameters(), lr=self.learning_rate)

    @torch.no_grad()
    def log_images(self, batch: Mapping[str, torch.Tensor], max_images: int = 8) -> dict[str, torch.Tensor]:
        """Panels for the image logger: RGB ``[N, 3, H, W]`` (or ``[N, T, 3, H, W]`` for GIFs)."""
        x = batch["input"][:max_images]
        recon = to_rgb(self(x))
        out: dict[str, torch.Tensor] = {"reconstruction": recon}
        panels = []
        if x.dim() == 5:  # time bins: show the sum over time, and every bin as a GIF
            out["inputs"] = event_frames_rgb(x.sum(1)) if x.shape[2] <= 2 else to_rgb(x.mean(1)[:, :1])
            out["inputs_gif"] = event_frames_rgb(x) if x.shape[2] <= 2 else to_rgb(x[:, :, :1])
            panels.append(out["inputs"])
        panels.append(recon)
        if "image" in batch:
            out["ground_truth"] = to_rgb(batch["image"][:max_images])
            panels.append(out["ground_truth"])
        out["comparison"] = side_by_side(panels)
        return out
