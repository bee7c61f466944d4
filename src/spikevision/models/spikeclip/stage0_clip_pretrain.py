"""Stage 0: train a small open_clip model on dataset images with captions from label names.

For the offline default (N-Digits) there is no downloadable CLIP, so this stage trains one with
the same open_clip code (architecture ``spikevision-digits``) and a symmetric contrastive loss
between images and class captions (a random template per class and step). Training images are
randomly blurred/noised so the model also recognises reconstructions. With ``quality_templates``
the captions also say whether the image was degraded ("a low quality image of a three" for a
degraded image, "a high quality image of a three" for a clean one; 2·K captions, the loss over
(class, quality) pairs), so the image tower keeps what a quality prompt (stage 2) can read: the
stand-in for what a web-trained CLIP knows of quality words. Validation/test log the
zero-shot accuracy with the evaluation templates; at the end of fitting the weights (the best
checkpoint by ``monitor``) are written to ``export_path``, which stages 1–3 load as ``clip.pretrained``.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from spikevision.clip import (
    CAPTION_TEMPLATES,
    DEFAULT_TEMPLATES,
    ClipPreprocess,
    format_prompts,
    load_open_clip,
    readable,
)
from spikevision.clip.loading import save_open_clip_checkpoint
from spikevision.errors import ConfigError
from spikevision.losses.infonce import class_contrastive
from spikevision.models.spikeclip.degrade import Degrade
from spikevision.models.spikeclip.guidance import dataset_label_names
from spikevision.models.spikeclip.stage_base import ExportingStage
from spikevision.stages import handed_on_metric

log = logging.getLogger(__name__)


class ClipPretrainModel(ExportingStage, pl.LightningModule):
    """Contrastive training of an open_clip model on ``batch['image']`` ``[B, 1|3, H, W]`` and
    ``batch['label']``.

    ``caption_templates``: training captions (one drawn per class per step); ``eval_templates``:
    zero-shot prompts (averaged); ``augment``: :class:`Degrade` parameters or None;
    ``quality_templates``: ``{"high": [...], "low": [...]}`` caption templates for clean and
    degraded images (needs ``augment``), or None for class captions only.
    """

    def __init__(
        self,
        model_name: str = "spikevision-digits",
        pretrained: str | None = None,
        caption_templates: Sequence[str] = CAPTION_TEMPLATES,
        eval_templates: Sequence[str] = DEFAULT_TEMPLATES,
        label_names: Sequence[str] | None = None,
        augment: Mapping[str, Any] | None = None,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.05,
        export_path: str | None = None,
        monitor: str = "val/zero_shot_acc",
        monitor_mode: str = "max",
        quality_templates: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.clip, self.tokenizer, cfg = load_open_clip(model_name, pretrained)
        self.preprocess = ClipPreprocess(cfg["size"], cfg["mean"], cfg["std"])
        self.caption_templates = list(caption_templates)
        self.eval_templates = list(eval_templates)
        for t in self.caption_templates + self.eval_templates:
            format_prompts(["x"], t)
        self.label_names = list(label_names) if label_names else None
        self.augment = Degrade(**augment) if augment else None
        self.quality_templates = _quality_templates(quality_templates, self.augment is not None)
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.export_path = export_path
        self.monitor, self.monitor_mode = monitor, monitor_mode

    def setup(self, stage: str) -> None:
        if self.label_names is None:
            self.label_names = dataset_label_names(self)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.clip.encode_image(self.preprocess(images)), dim=-1)

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        tokens = self.tokenizer(list(texts)).to(self.device)
        return nn.functional.normalize(self.clip.encode_text(tokens), dim=-1)

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> torch.Tensor:
        images, labels = batch["image"], batch["label"]
        caption_groups = [self.caption_templates]
        if self.quality_templates is not None:
            # captions 0..K-1 say "high quality", K..2K-1 "low quality"; an image's target is its
            # class among those of its own quality
            images, degraded = self.augment.with_mask(images)
            caption_groups = [self.quality_templates["high"], self.quality_templates["low"]]
            labels = labels + len(self.label_names) * degraded.long()
        elif self.augment is not None:
            images = self.augment(images)
        captions = [random.choice(group).format(label=readable(n))
                    for group in caption_groups for n in self.label_names]
        loss = class_contrastive(self.encode_images(images), self.encode_texts(captions),
                                 labels, self.clip.logit_scale.exp().clamp(max=100))
        self.log("train/loss", loss, prog_bar=True, batch_size=images.shape[0])
        self.log("train/logit_scale", self.clip.logit_scale.exp(), batch_size=images.shape[0])
        return loss

    @torch.no_grad()
    def class_text_features(self) -> torch.Tensor:
        feats = torch.stack([self.encode_texts(format_prompts(self.label_names, t)) for t in self.eval_templates])
        return nn.functional.normalize(feats.mean(0), dim=-1)

    def _evaluate(self, batch: Mapping[str, Any], split: str) -> None:
        logits = self.encode_images(batch["image"]) @ self.class_text_features().t()
        acc = (logits.argmax(-1) == batch["label"]).float().mean()
        self.log(f"{split}/zero_shot_acc", acc, prog_bar=True, batch_size=logits.shape[0], sync_dist=True)

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        decay = [p for n, p in self.clip.named_parameters() if p.ndim >= 2 and "embedding" not in n]
        rest = [p for n, p in self.clip.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
        return torch.optim.AdamW([{"params": decay, "weight_decay": self.weight_decay},
                                  {"params": rest, "weight_decay": 0.0}], lr=self.learning_rate)

    def export(self, path: str | Path) -> Path:
        """Write the weights (open_clip state dict) plus a JSON sidecar with name and labels."""
        path = save_open_clip_checkpoint(self.clip, path)
        meta = {"model_name": self.hparams.model_name, "label_names": self.label_names,
                "eval_templates": self.eval_templates,
                "val_zero_shot_acc": handed_on_metric(self._trainer, "val/zero_shot_acc")}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2))
        log.info("stage-0 CLIP written to %s", path)
        return path


def _quality_templates(templates: Mapping[str, Sequence[str]] | None,
                       has_augment: bool) -> dict[str, list[str]] | None:
    """Check ``quality_templates``: keys ``high`` and ``low``, each a non-empty list of templates
    with ``{label}``; degraded images come from ``augment``, so it must be set."""
    if templates is None:
        return None
    if set(templates) != {"high", "low"}:
        raise ConfigError(f"model.params.quality_templates needs exactly the keys 'high' and 'low', "
                          f"got {sorted(templates)}")
    out = {}
    for key in ("high", "low"):
        value = templates[key]
        if isinstance(value, str) or not value:
            raise ConfigError(f"model.params.quality_templates.{key} must be a non-empty list of templates, "
                              f"got {value!r}")
        for t in value:
            format_prompts(["x"], t)
        out[key] = [str(t) for t in value]
    if not has_augment:
        raise ConfigError("model.params.quality_templates needs model.params.augment (the Degrade settings "
                          "that make the low-quality images)")
    return out
