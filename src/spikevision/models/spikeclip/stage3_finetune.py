"""Stage 3, events-seed variant: fine-tune the stage-1 SNN with the learned quality prompts.

``L = class_weight · L_class + prompt_weight · L_prompt (+ pixel_weight · L_pixel)
(+ identity_weight · |recon − stage-1 recon|₁)``, λ = ``prompt_weight`` = 100 by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from spikevision.losses.infonce import quality_guided_loss
from spikevision.models.spikeclip.guidance import check_same_clip
from spikevision.models.spikeclip.stage1_recon import SpikeClipReconModel
from spikevision.models.spikeclip.stage_base import FrozenPreviousStage


class SpikeClipQualityModel(FrozenPreviousStage, SpikeClipReconModel):
    """:class:`SpikeClipReconModel` initialised from a stage-1 ``recon`` export (``init_from``;
    its network settings are used unless the config overrides them) with the stage-2
    ``prompts`` export driving ``L_prompt``. ``identity_weight > 0`` keeps a frozen copy of the
    stage-1 network as the identity reference."""

    def __init__(
        self,
        init_from: str,
        prompts: str,
        prompt_weight: float = 100.0,
        prompt_temperature: float = 1.0,
        identity_weight: float = 0.0,
        pixel_weight: float = 0.0,
        **kwargs: Any,
    ) -> None:
        stage1 = self.load_previous_stage(init_from)
        merged = {**stage1["recon_params"], **kwargs}
        merged.setdefault("clip", stage1["clip"])
        merged.setdefault("input_spec", stage1.get("input_spec"))
        merged.setdefault("label_names", stage1.get("label_names"))
        super().__init__(pixel_weight=pixel_weight, **merged)
        self.save_hyperparameters()
        check_same_clip(stage1["clip"], self.guidance.spec, init_from)
        self.net.load_state_dict(stage1["state_dict"])
        self.guidance.prompt_temperature = float(prompt_temperature)
        self.guidance.set_prompts(prompts)
        self.prompt_weight, self.identity_weight = float(prompt_weight), float(identity_weight)
        self.reference = self.reference_outputs = None
        if identity_weight > 0:
            self.freeze_previous_stage(stage1, "reference")

    def objective(self, batch: Mapping[str, Any],
                  split: str) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        pred = self(batch["input"])
        loss, parts = self.loss_terms(pred, batch, split)
        return loss, pred, parts

    def loss_terms(self, recon: torch.Tensor, batch: Mapping[str, Any],
                   split: str = "train") -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        feats = self.guidance.encode(recon)
        class_loss, acc = self.guidance.class_terms(feats, batch["label"], self.label_names)
        prompt_loss, p_hq = self.guidance.prompt_terms(feats)
        reg = None
        parts = {"class_loss": class_loss.detach(), "clip_acc": acc, "prompt_loss": prompt_loss.detach(), "p_hq": p_hq}
        if self.reference_outputs is not None:
            ref = self.reference_outputs(batch["input"], batch.get("index"), split)
            reg = (recon - ref).abs().mean()
            parts["identity_loss"] = reg.detach()
        total = quality_guided_loss(self.class_weight * class_loss, prompt_loss, self.prompt_weight,
                                    reg, self.identity_weight)
        if self.pixel_weight > 0 and "image" in batch:
            pixel, _ = self.loss(recon, batch["image"])
            total = total + self.pixel_weight * pixel
            parts["pixel_loss"] = pixel.detach()
        return total, parts
