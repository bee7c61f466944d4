"""Stage 3 (refiner variant): train :class:`RefinerUNet` on top of the frozen stage-1 network.

``L = class_weight · L_class + prompt_weight · L_prompt + identity_weight · |refined − coarse|₁
(+ pixel_weight · L_pixel when images exist)``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from spikevision.losses import PixelLoss
from spikevision.losses.infonce import quality_guided_loss
from spikevision.models.compile import CompileSpec, compile_networks
from spikevision.models.image_module import ImageOutputModule
from spikevision.models.spikeclip.artifacts import save_export
from spikevision.models.spikeclip.guidance import ClipGuidance
from spikevision.models.spikeclip.refiner import RefinerUNet
from spikevision.models.spikeclip.stage_base import FrozenPreviousStage
from spikevision.registry import renamed_arguments, to_plain

log = logging.getLogger(__name__)
OLD_NAMES = {"refiner": "network"}  # saved run configs and checkpoints use it


class RefinerModel(FrozenPreviousStage, ImageOutputModule):
    """Quality-guided refinement of a frozen ``coarse`` (stage-1 ``recon`` export) with the
    stage-2 ``prompts``. ``network``: :class:`RefinerUNet` parameters (old name ``refiner``)."""

    def __init__(
        self,
        coarse: str,
        prompts: str,
        clip: Mapping[str, Any] | None = None,
        network: Mapping[str, Any] | None = None,
        temperature: float = 0.07,
        class_weight: float = 1.0,
        prompt_weight: float = 100.0,
        prompt_temperature: float = 1.0,
        identity_weight: float = 1.0,
        pixel_weight: float = 0.0,
        learning_rate: float = 4e-5,
        export_path: str | None = None,
        cache_coarse: bool = True,
        monitor: str = "val/clip_acc",
        monitor_mode: str = "max",
        compile: CompileSpec = False,
        **old_names: Any,
    ) -> None:
        super().__init__(monitor, monitor_mode)
        network = renamed_arguments(old_names, OLD_NAMES, "RefinerModel", {"network": network})["network"]
        self.save_hyperparameters()
        stage1 = self.load_previous_stage(coarse)
        self.guidance = ClipGuidance(clip or stage1["clip"], temperature, prompts, prompt_temperature)
        self.freeze_previous_stage(stage1, "coarse", cache_coarse, self.guidance.spec, coarse)
        self.refiner_params = dict(to_plain(network) or {})
        self.refiner = RefinerUNet(**self.refiner_params)
        self.label_names = stage1["label_names"]
        self.stage1_info = {k: stage1.get(k) for k in ("label_names", "input_spec")}
        self.class_weight, self.prompt_weight = float(class_weight), float(prompt_weight)
        self.identity_weight, self.pixel_weight = float(identity_weight), float(pixel_weight)
        self.pixel = PixelLoss(1.0, 0.0)
        self.learning_rate, self.export_path = learning_rate, export_path
        compile_networks(self, compile, "refiner")  # torch.compile (spikevision.models.compile)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Dataset input → refined image ``[B, 1, H, W]``."""
        return self.refiner(self.coarse_outputs(x))

    def objective(self, batch: Mapping[str, Any],
                  split: str = "train") -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        coarse = self.coarse_outputs(batch["input"], batch.get("index"), split)
        refined = self.refiner(coarse)
        feats = self.guidance.encode(refined)
        class_loss, acc = self.guidance.class_terms(feats, batch["label"], self.label_names)
        prompt_loss, p_hq = self.guidance.prompt_terms(feats)
        identity = (refined - coarse).abs().mean()
        total = quality_guided_loss(self.class_weight * class_loss, prompt_loss, self.prompt_weight,
                                    identity, self.identity_weight)
        parts = {"class_loss": class_loss.detach(), "prompt_loss": prompt_loss.detach(),
                 "identity_loss": identity.detach(), "clip_acc": acc, "p_hq": p_hq}
        if self.pixel_weight > 0 and "image" in batch:
            pixel, _ = self.pixel(refined, batch["image"])
            total = total + self.pixel_weight * pixel
            parts["pixel_loss"] = pixel.detach()
        return total, refined, parts

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.refiner.parameters(), lr=self.learning_rate)

    @torch.no_grad()
    def log_images(self, batch: Mapping[str, Any], max_images: int = 8) -> dict[str, torch.Tensor]:
        """Panels for the image logger: coarse | refined (| ground truth)."""
        from spikevision.visualize import image_panels

        coarse = self.coarse_outputs(batch["input"][:max_images])
        return image_panels({"_coarse": coarse, "refined": self.refiner(coarse), "_ground_truth": batch.get("image")},
                            max_images=max_images)

    def export(self, path: str | Path) -> Path:
        """Write the refiner as a ``refiner`` export."""
        out = save_export(path, "refiner", {
            "refiner_params": self.refiner_params,
            "state_dict": {k: v.detach().cpu() for k, v in self.refiner.state_dict().items()},
            "clip": self.guidance.spec,
            **self.stage1_info,
        })
        log.info("stage-3 refiner written to %s", out)
        return out
