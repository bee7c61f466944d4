"""Spiking event/spike → image reconstruction as a LightningModule (SpikeCLIP's coarse stage).

Batches are dicts from the datasets: ``input`` ``[B, T, C, H, W]`` (or ``[B, C, H, W]`` with
``input_coding='direct'``) and ``image`` ``[B, C_img, H, W]`` in [0, 1] as the target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from spikevision.losses import PixelLoss
from spikevision.models.compile import CompileSpec, compile_networks
from spikevision.models.image_module import ImageOutputModule
from spikevision.registry import instantiate_from_config
from spikevision.snn import encode_input
from spikevision.visualize import event_frames_rgb, image_panels, to_rgb

DEFAULT_NETWORK = {"target": "spikevision.models.recon.snn_unet.SnnUNet", "params": {}}
INPUT_TRANSFORMS = ("none", "log1p")


class SnnReconModel(ImageOutputModule):
    """Train a spiking network to reconstruct ``image`` from ``input``.

    ``network``: target/params of the SNN (default :class:`SnnUNet`); ``time_steps``: T;
    ``loss``: PixelLoss weights; ``input_transform``: ``log1p`` compresses event counts.
    ``compile``: ``torch.compile`` the network (true or torch.compile options; :mod:`spikevision.models.compile`).
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
        compile: CompileSpec = False,
    ) -> None:
        super().__init__(monitor, monitor_mode)
        self.save_hyperparameters()
        if input_transform not in INPUT_TRANSFORMS:
            raise ValueError(f"input_transform must be one of {INPUT_TRANSFORMS}, got '{input_transform}'")
        self.net = instantiate_from_config(network or DEFAULT_NETWORK, key_path="model.params.network")
        self.loss = PixelLoss(**(loss or {}))
        self.time_steps = time_steps
        self.input_coding = input_coding
        self.input_transform = input_transform
        self.learning_rate = learning_rate
        compile_networks(self, compile, "net")

    def prepare_input(self, x: torch.Tensor) -> torch.Tensor:
        """Dataset input → multi-step tensor ``[T, B, C, H, W]``."""
        if self.input_transform == "log1p":
            x = torch.sign(x) * torch.log1p(x.abs())
        return encode_input(x, self.input_coding, self.time_steps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: dataset input ``[B, T, C, H, W]`` → reconstruction ``[B, C_out, H, W]``."""
        return self.net(self.prepare_input(x))

    def loss_terms(self, pred: torch.Tensor, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Pixel loss (L1 + SSIM) against the batch's ``image``."""
        return self.loss(pred, batch["image"])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net.parameters(), lr=self.learning_rate)

    @torch.no_grad()
    def log_images(self, batch: Mapping[str, torch.Tensor], max_images: int = 8) -> dict[str, torch.Tensor]:
        """Panels for the image logger: RGB ``[N, 3, H, W]`` (or ``[N, T, 3, H, W]`` for GIFs)."""
        x = batch["input"][:max_images]
        inputs = inputs_gif = None
        if x.dim() == 5:  # time bins: show the sum over time, and every bin as a GIF
            inputs = event_frames_rgb(x.sum(1)) if x.shape[2] <= 2 else to_rgb(x.mean(1)[:, :1])
            inputs_gif = event_frames_rgb(x) if x.shape[2] <= 2 else to_rgb(x[:, :, :1])
        return image_panels({"inputs": inputs, "reconstruction": self(x), "ground_truth": batch.get("image")},
                            extra={"inputs_gif": inputs_gif}, max_images=max_images)
