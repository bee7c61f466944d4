"""The spikling restorer as a LightningModule: spike window → image, trained with L2 + VGG loss.

Batches are dicts from the datasets: ``input`` ``[B, T, C, H, W]`` (a window of T spike frames,
C = 1, or T spike-rate bins) and ``image`` ``[B, 1, H, W]`` in [0, 1]. The T·C input planes are
the network's channels, fed as ``2x − 1``. Same interface as
:class:`~spikevision.models.recon.SnnReconModel` (``forward(input) → [B, 1, H, W]``, metrics,
``log_images``), so it can replace the spiking coarse stage for spike inputs.

Loss ``λ_L2 · MSE + λ_VGG · VGG19-perceptual`` (100 and 1, spikling's weights), on images in
[0, 1]; Adam ``lr = 2e-4``, ``betas = (0.5, 0.999)``. ``vgg.weights='auto'`` uses the ImageNet
VGG19 when it is on disk and otherwise warns and trains on L2 alone; ``'imagenet'`` or a path
makes a missing file an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from spikevision.losses.perceptual import VGGPerceptualLoss, WeightsNotFoundError
from spikevision.models.image_module import ImageOutputModule
from spikevision.registry import instantiate_from_config
from spikevision.visualize import image_panels

DEFAULT_NETWORK = {"target": "spikevision.models.spikecnn.semi_unet.SemiUNet", "params": {}}
DEFAULT_VGG = {"weights": "auto", "num_layers": 16, "normalize": True}


class SpikeCnnModel(ImageOutputModule):
    """Train a CNN (default :class:`SemiUNet`) to restore ``image`` from a spike window.

    ``network``: target/params of the CNN (its ``in_channels`` = T·C of the input);
    ``lambda_l2``/``lambda_vgg``: loss weights; ``vgg``: :class:`VGGPerceptualLoss` params;
    ``learning_rate``/``betas``: Adam. The frozen VGG is not part of the checkpoint.
    """

    #: loaded for inference (:func:`spikevision.stages.load_lightning_checkpoint`): no perceptual network
    inference_params = {"lambda_vgg": 0.0, "lambda_l2": 1.0}

    def __init__(
        self,
        network: Mapping[str, Any] | None = None,
        lambda_l2: float = 100.0,
        lambda_vgg: float = 1.0,
        vgg: Mapping[str, Any] | None = None,
        learning_rate: float = 2e-4,
        betas: Sequence[float] = (0.5, 0.999),
        monitor: str = "val/psnr",
        monitor_mode: str = "max",
    ) -> None:
        super().__init__(monitor, monitor_mode)
        self.save_hyperparameters()
        if lambda_l2 < 0 or lambda_vgg < 0 or lambda_l2 + lambda_vgg == 0:
            raise ValueError("SpikeCnnModel needs non-negative loss weights with a positive sum")
        self.net = instantiate_from_config(network or DEFAULT_NETWORK, key_path="model.params.network")
        self.lambda_l2 = lambda_l2
        self.learning_rate = learning_rate
        self.betas = tuple(betas)
        self.lambda_vgg = lambda_vgg
        perceptual = self._build_perceptual({**DEFAULT_VGG, **(vgg or {})}) if lambda_vgg > 0 else None
        # kept out of the module tree: frozen, not checkpointed, moved to the input's device on use
        object.__setattr__(self, "perceptual", perceptual)

    def _build_perceptual(self, cfg: dict[str, Any]) -> VGGPerceptualLoss | None:
        try:
            return VGGPerceptualLoss(**cfg)
        except WeightsNotFoundError as err:
            if str(cfg["weights"]) != "auto":
                raise
            warnings.warn(f"VGG perceptual term disabled (training on L2 only): {err}", stacklevel=2)
            self.lambda_vgg = 0.0
            return None

    @property
    def input_frames(self) -> int | None:
        """Spike frames (input planes) the network expects, when it says."""
        return getattr(self.net, "in_channels", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``[B, T, C, H, W]`` or ``[B, T, H, W]`` spikes in [0, 1] → ``[B, 1, H, W]`` image."""
        if x.dim() == 5:
            x = x.flatten(1, 2)
        if x.dim() != 4:
            raise ValueError(f"SpikeCnnModel expects [B, T, C, H, W] or [B, T, H, W], got {tuple(x.shape)}")
        if self.input_frames is not None and x.shape[1] != self.input_frames:
            raise ValueError(f"the network takes {self.input_frames} spike frames, the input has {x.shape[1]}")
        h, w = x.shape[-2:]
        mult = getattr(self.net, "multiple", 1)
        x = torch.nn.functional.pad(x.float() * 2 - 1, (0, (-w) % mult, 0, (-h) % mult))
        return (self.net(x)[..., :h, :w] + 1) / 2

    @torch.no_grad()
    def restore(self, spikes: torch.Tensor) -> torch.Tensor:
        """Spike windows ``[B, T, H, W]`` (0/1) → images ``[B, H, W]`` clamped to [0, 1]."""
        return self(spikes.to(self.device)).clamp(0, 1)[:, 0]

    def compute_loss(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``λ_L2 · MSE + λ_VGG · perceptual`` and its detached parts."""
        l2 = torch.nn.functional.mse_loss(pred, target)
        loss = self.lambda_l2 * l2
        parts = {"l2": l2.detach()}
        if self.perceptual is not None and self.lambda_vgg > 0:
            vgg = self.perceptual.to(pred.device)(pred, target)
            loss = loss + self.lambda_vgg * vgg
            parts["vgg"] = vgg.detach()
        return loss, parts

    def loss_terms(self, pred: torch.Tensor, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.compute_loss(pred, batch["image"])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net.parameters(), lr=self.learning_rate, betas=self.betas)

    @torch.no_grad()
    def log_images(self, batch: Mapping[str, torch.Tensor], max_images: int = 8) -> dict[str, torch.Tensor]:
        """Panels: window mean (TFP) of the input, the restoration, the ground truth; a GIF of the
        input frames."""
        x = batch["input"][:max_images]
        frames = x.flatten(1, 2)[:, :, None] if x.dim() == 5 else x[:, :, None]  # [N, T, 1, H, W]
        return image_panels(
            {"inputs": frames.float().mean(1), "reconstruction": self(x), "ground_truth": batch.get("image")},
            extra={"inputs_gif": frames.float()}, max_images=max_images)
