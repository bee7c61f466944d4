"""CLIP guidance shared by the SpikeCLIP stages: class InfoNCE against label prompts and the
HQ/LQ prompt loss, on features of a frozen CLIP.

``clip`` config: ``{model_name, pretrained, templates, cache_dir}`` (see :class:`FrozenClip`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from spikevision.clip import FrozenClip
from spikevision.losses.infonce import class_infonce, hq_prompt_loss
from spikevision.models.spikeclip.artifacts import load_export

DEFAULT_CLIP = {"model_name": "ViT-B-32", "pretrained": "openai", "templates": ["image of a {label}"]}


def clip_spec(clip: Mapping[str, Any] | None) -> dict[str, Any]:
    """The CLIP config with defaults filled in (stored in exports so later stages can check it)."""
    spec = {**DEFAULT_CLIP, **dict(clip or {})}
    spec["templates"] = list(spec["templates"])
    return spec


class ClipGuidance(nn.Module):
    """Frozen CLIP + loss terms. ``prompts``: a stage-2 export whose (HQ, LQ) text features
    enable :meth:`prompt_terms`; ``prompt_temperature`` divides their cosine logits."""

    def __init__(self, clip: Mapping[str, Any] | None = None, temperature: float = 0.07,
                 prompts: str | None = None, prompt_temperature: float = 1.0) -> None:
        super().__init__()
        self.spec = clip_spec(clip)
        self.clip = FrozenClip(**self.spec)
        self.temperature = float(temperature)
        self.prompt_temperature = float(prompt_temperature)
        self.register_buffer("hq_lq", None, persistent=False)
        if prompts:
            self.set_prompts(prompts)

    def set_prompts(self, path: str) -> None:
        """Load the (HQ, LQ) text features ``[2, D]`` of a stage-2 ``prompts`` export."""
        exp = load_export(path, "prompts")
        check_same_clip(exp["clip"], self.spec, path)
        self.hq_lq = exp["features"].float().to(self.clip.device)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, 1|3, H, W]`` in [0, 1] → unit CLIP features ``[B, D]`` (differentiable)."""
        return self.clip.encode_images(images)

    def class_terms(self, feats: torch.Tensor, labels: torch.Tensor,
                    label_names: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(class InfoNCE loss, zero-shot accuracy) of features ``[B, D]`` against the label prompts."""
        text = self.clip.class_text_features(label_names).to(feats)
        loss = class_infonce(feats, text, labels, self.temperature)
        acc = ((feats @ text.t()).argmax(-1) == labels).float().mean()
        return loss, acc

    def prompt_terms(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(HQ-prompt loss, mean P(HQ)) of features ``[B, D]``; needs ``prompts``."""
        if self.hq_lq is None:
            raise ValueError("the prompt loss needs a stage-2 prompts export (set `prompts:`)")
        loss = hq_prompt_loss(feats, self.hq_lq.to(feats), self.prompt_temperature)
        return loss, torch.exp(-loss.detach())


def check_same_clip(a: Mapping[str, Any], b: Mapping[str, Any], where: str) -> None:
    """Stages must share one CLIP (text/image features of different models are not comparable)."""
    ka = (a.get("model_name"), str(a.get("pretrained")))
    kb = (b.get("model_name"), str(b.get("pretrained")))
    if ka != kb:
        raise ValueError(f"{where} was made with CLIP {ka}, but this stage uses {kb}")


def dataset_label_names(module: pl.LightningModule) -> list[str]:
    """Class names of the attached datamodule's datasets (``label_names`` attribute)."""
    trainer = module._trainer
    dm = getattr(trainer, "datamodule", None) if trainer is not None else None
    for split in ("train", "validation", "test"):
        try:
            ds = dm.dataset(split)  # type: ignore[union-attr]
        except (AttributeError, KeyError):
            continue
        if getattr(ds, "label_names", None):
            return list(ds.label_names)
    raise ValueError("label names unknown: set `label_names:` in the model config "
                     "(the datasets expose none)")
