"""The spikling restorer as a LightningModule: spike window → image, trained with L2 + VGG loss.

Batches are dicts from the datasets: ``input`` ``[B, T, C, H, W]`` (a window of T spike frames,
C = 1, or T spike-rate bins) and ``image`` ``[B, 1, H, W]`` in [0, 1]. The T·C input planes are
the network's channels, fed as ``2x − 1``. Same interface as
:class:`~spikevision.models.recon.SnnReconModel` (``forward(input) → [B, 1, H, W]``, metrics,
``log_images``), so it can replace the spiking coarse stage for spike inputs.

Loss ``l2_weight · MSE + vgg_weight · VGG19-perceptual`` (100 and 1, spikling's weights). As in
spikling, both terms are computed on images mapped to ``loss_range`` (default ``[−1, 1]``, the
range of spikling's targets) and the VGG sees those values without ImageNet normalisation
(``vgg.normalize: false``); the weights only mean what they mean in spikling on that scale
(on [0, 1] with ImageNet normalisation the VGG term would weigh about 20× more). Adam
``lr = 2e-4``, ``betas = (0.5, 0.999)``.

The VGG19 weights must be on disk (torch hub cache or a path): a missing file raises
:class:`~spikevision.losses.pretrained.WeightsNotFoundError` when the model is built. Training on
L2 alone is said in the config: ``vgg: off`` (or ``vgg_weight: 0``).

``lambda_l2``/``lambda_vgg`` (the old names of ``l2_weight``/``vgg_weight``) are still accepted,
with a :class:`DeprecationWarning`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from spikevision.losses.perceptual import VGGPerceptualLoss
from spikevision.models.compile import CompileSpec, compile_networks
from spikevision.models.image_module import ImageOutputModule
from spikevision.registry import instantiate_from_config, renamed_arguments
from spikevision.visualize import image_panels

DEFAULT_NETWORK = {"target": "spikevision.models.spikecnn.semi_unet.SemiUNet", "params": {}}
#: spikling's VGGLoss: VGG19 up to relu3_3, fed the [−1, 1] images as they are (no ImageNet mean/std)
DEFAULT_VGG = {"weights": "imagenet", "num_layers": 16, "normalize": False}
#: old keyword → new keyword (accepted with a DeprecationWarning; saved configs and checkpoints use them)
OLD_NAMES = {"lambda_l2": "l2_weight", "lambda_vgg": "vgg_weight"}


def vgg_is_off(vgg: Any) -> bool:
    """``vgg: off`` / ``false`` in a config (YAML reads ``off`` as ``False``)."""
    if vgg is False or (isinstance(vgg, str) and vgg.strip().lower() in ("off", "false")):
        return True
    if vgg is None or vgg is True or isinstance(vgg, Mapping):
        return False
    raise ValueError(f"vgg must be VGGPerceptualLoss params (a mapping) or off, got {vgg!r}")


class SpikeCnnModel(ImageOutputModule):
    """Train a CNN (default :class:`SemiUNet`) to restore ``image`` from a spike window.

    ``network``: target/params of the CNN (its ``in_channels`` = T·C of the input);
    ``l2_weight``/``vgg_weight``: loss weights (default 100 and 1); ``vgg``:
    :class:`VGGPerceptualLoss` params (over ``DEFAULT_VGG``), or ``off``; ``loss_range``: the value
    range ``[lo, hi]`` that [0, 1] images are mapped to before both loss terms (spikling:
    ``[−1, 1]``); ``learning_rate``/``betas``: Adam. The frozen VGG is not part of the checkpoint.
    """

    #: loaded for inference (:func:`spikevision.stages.load_lightning_checkpoint`): no perceptual
    #: network (the old name covers checkpoints saved before the rename)
    inference_params = {"vgg_weight": 0.0, "lambda_vgg": 0.0}

    def __init__(
        self,
        network: Mapping[str, Any] | None = None,
        l2_weight: float | None = None,
        vgg_weight: float | None = None,
        vgg: Mapping[str, Any] | bool | str | None = None,
        loss_range: Sequence[float] = (-1.0, 1.0),
        learning_rate: float = 2e-4,
        betas: Sequence[float] = (0.5, 0.999),
        monitor: str = "val/psnr",
        monitor_mode: str = "max",
        compile: CompileSpec = False,
        **old_names: Any,
    ) -> None:
        super().__init__(monitor, monitor_mode)
        weights = renamed_arguments(old_names, OLD_NAMES, "SpikeCnnModel",
                                    {"l2_weight": l2_weight, "vgg_weight": vgg_weight})
        l2_weight = 100.0 if weights["l2_weight"] is None else float(weights["l2_weight"])  # spikling's weights
        vgg_weight = 1.0 if weights["vgg_weight"] is None else float(weights["vgg_weight"])
        if l2_weight < 0 or vgg_weight < 0:
            raise ValueError("SpikeCnnModel needs non-negative loss weights")
        off = vgg_is_off(vgg)
        if l2_weight == 0 and (vgg_weight == 0 or off):
            raise ValueError("SpikeCnnModel needs a loss: l2_weight and vgg_weight (or vgg: off) leave none")
        if len(loss_range) != 2 or not float(loss_range[0]) < float(loss_range[1]):
            raise ValueError(f"loss_range must be [lo, hi] with lo < hi, got {list(loss_range)}")
        self.save_hyperparameters({
            "network": network, "l2_weight": l2_weight, "vgg_weight": vgg_weight,
            "vgg": False if off else vgg, "loss_range": [float(v) for v in loss_range],
            "learning_rate": learning_rate, "betas": list(betas), "monitor": monitor, "monitor_mode": monitor_mode,
            "compile": compile,
        })
        self.net = instantiate_from_config(network or DEFAULT_NETWORK, key_path="model.params.network")
        self.l2_weight = l2_weight
        self.vgg_weight = 0.0 if off else vgg_weight
        self.loss_range = (float(loss_range[0]), float(loss_range[1]))
        self.learning_rate = learning_rate
        self.betas = tuple(betas)
        # A missing VGG file raises WeightsNotFoundError here, at build time (never silently dropped).
        cfg = {**DEFAULT_VGG, **(vgg if isinstance(vgg, Mapping) else {})}
        perceptual = VGGPerceptualLoss(**cfg) if self.vgg_weight > 0 else None
        # kept out of the module tree: frozen, not checkpointed, moved to the input's device on use
        object.__setattr__(self, "perceptual", perceptual)
        compile_networks(self, compile, "net")  # torch.compile (spikevision.models.compile)

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

    def to_loss_range(self, image: torch.Tensor) -> torch.Tensor:
        """[0, 1] → ``loss_range`` (spikling's ``[−1, 1]``: ``2x − 1``)."""
        lo, hi = self.loss_range
        return image * (hi - lo) + lo

    def compute_loss(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``l2_weight · MSE + vgg_weight · perceptual`` of ``pred``/``target`` ([0, 1]) mapped to
        ``loss_range``, and its detached parts (in those units)."""
        pred, target = self.to_loss_range(pred), self.to_loss_range(target)
        l2 = torch.nn.functional.mse_loss(pred, target)
        loss = self.l2_weight * l2
        parts = {"l2": l2.detach()}
        if self.perceptual is not None and self.vgg_weight > 0:
            vgg = self.perceptual.to(pred.device)(pred, target)
            loss = loss + self.vgg_weight * vgg
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
