"""Stage 1: the foundation's spiking reconstruction model trained with CLIP class InfoNCE.

``L = class_weight · InfoNCE(CLIP(recon), label prompts; τ) + pixel_weight · PixelLoss(recon, image)``.
With ``pixel_weight: 0`` this is the events seed's pure CLIP supervision; with a TFI/pixel
target it is the official coarse stage plus semantic guidance. Validation logs the CLIP
zero-shot accuracy of reconstructions (``val/clip_acc``) and PSNR/SSIM when images exist.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from spikevision.models.recon import SnnReconModel
from spikevision.models.spikeclip.artifacts import save_export
from spikevision.models.spikeclip.guidance import ClipGuidance, dataset_label_names
from spikevision.models.spikeclip.stage_base import ExportingStage
from spikevision.registry import to_plain

log = logging.getLogger(__name__)

RECON_KEYS = ("network", "time_steps", "input_coding", "input_transform")


class SpikeClipReconModel(ExportingStage, SnnReconModel):
    """:class:`SnnReconModel` + CLIP guidance. Extra parameters:

    ``clip``: ``{model_name, pretrained, templates}``; ``temperature``: InfoNCE τ;
    ``class_weight`` / ``pixel_weight``: loss weights; ``label_names``: class names (default:
    the datasets'); ``input_spec``: how inference turns files into inputs (stored in exports);
    ``export_path``: where the trained network (best checkpoint by ``monitor``) is written at the
    end of fitting.
    """

    def __init__(
        self,
        clip: Mapping[str, Any] | None = None,
        temperature: float = 0.07,
        class_weight: float = 1.0,
        pixel_weight: float = 1.0,
        label_names: Sequence[str] | None = None,
        input_spec: Mapping[str, Any] | None = None,
        export_path: str | None = None,
        monitor: str = "val/clip_acc",
        monitor_mode: str = "max",
        **recon_kwargs: Any,
    ) -> None:
        super().__init__(monitor=monitor, monitor_mode=monitor_mode, **recon_kwargs)
        self.save_hyperparameters()
        if class_weight < 0 or pixel_weight < 0 or class_weight + pixel_weight == 0:
            raise ValueError("class_weight and pixel_weight must be non-negative with a positive sum")
        self.guidance = ClipGuidance(clip, temperature)
        self.class_weight, self.pixel_weight = float(class_weight), float(pixel_weight)
        self.label_names = list(label_names) if label_names else None
        self.input_spec = dict(to_plain(input_spec) or {})
        self.export_path = export_path

    def setup(self, stage: str) -> None:
        if self.label_names is None:
            self.label_names = dataset_label_names(self)

    def loss_terms(self, recon: torch.Tensor, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Total loss and its detached parts for a reconstruction ``[B, 1, H, W]`` of ``batch``."""
        feats = self.guidance.encode(recon)
        class_loss, acc = self.guidance.class_terms(feats, batch["label"], self.label_names)
        total = self.class_weight * class_loss
        parts = {"class_loss": class_loss.detach(), "clip_acc": acc}
        if self.pixel_weight > 0:
            if "image" not in batch:
                raise ValueError("pixel_weight > 0 needs an 'image' in each batch (set pixel_weight: 0)")
            pixel, pixel_parts = self.loss(recon, batch["image"])
            total = total + self.pixel_weight * pixel
            parts.update({"pixel_loss": pixel.detach(), **pixel_parts})
        return total, parts

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["label_names"] = self.label_names

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.label_names = checkpoint.get("label_names") or self.label_names

    def export(self, path: str | Path) -> Path:
        """Write the reconstruction network as a ``recon`` export (no CLIP weights)."""
        params = {k: to_plain(self.hparams[k]) for k in RECON_KEYS if k in self.hparams}
        out = save_export(path, "recon", {
            "recon_params": params,
            "state_dict": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
            "clip": self.guidance.spec,
            "label_names": self.label_names,
            "input_spec": self.input_spec,
            "stage": type(self).__name__,
        })
        log.info("%s export written to %s", type(self).__name__, out)
        return out


def load_recon(export: Mapping[str, Any]) -> SnnReconModel:
    """A ``recon`` export → the plain :class:`SnnReconModel` (network + input preparation), eval mode."""
    model = SnnReconModel(**export["recon_params"])
    model.net.load_state_dict(export["state_dict"])
    return model.eval()
