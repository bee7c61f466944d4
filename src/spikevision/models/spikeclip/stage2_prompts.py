"""Stage 2: learn HQ/LQ prompts (CoOp) that tell real images from stage-1 reconstructions.

HQ = real images: ``batch['image']`` (paired ground truth) or random draws from an
``hq_images`` dataset (any image folder). LQ = outputs of the frozen stage-1 network, each
degraded (blur, noise) with probability ``degrade.p``; the stage-1 outputs are computed once per
item (``cache_coarse``). Cross-entropy over the cosine logits
(HQ prompt, LQ prompt) / τ; only the context vectors are trained. Validation logs HQ/LQ
accuracy (``val/hq_lq_acc``, ``val/hq_acc``, ``val/lq_acc``) with repeatable degradations.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from spikevision.models.compile import CompileSpec, compile_networks
from spikevision.models.spikeclip.artifacts import save_export
from spikevision.models.spikeclip.degrade import Degrade
from spikevision.models.spikeclip.guidance import ClipGuidance
from spikevision.models.spikeclip.prompt_learner import PromptLearner
from spikevision.models.spikeclip.stage_base import FrozenPreviousStage
from spikevision.registry import instantiate_from_config, to_plain

log = logging.getLogger(__name__)

HQ, LQ = 0, 1


class PromptLearnerModel(FrozenPreviousStage, pl.LightningModule):
    """CoOp HQ/LQ prompt learning on top of a frozen stage-1 ``recon`` export (``coarse``)."""

    def __init__(
        self,
        coarse: str,
        clip: Mapping[str, Any] | None = None,
        classnames: Sequence[str] = ("high quality", "low quality"),
        n_ctx: int = 4,
        ctx_init: str | None = None,
        temperature: float = 0.07,
        label_smoothing: float = 0.0,
        degrade: Mapping[str, Any] | None = None,
        hq_images: Mapping[str, Any] | None = None,
        learning_rate: float = 2e-3,
        weight_decay: float = 1e-4,
        export_path: str | None = None,
        cache_coarse: bool = True,
        monitor: str = "val/hq_lq_acc",
        monitor_mode: str = "max",
        compile: CompileSpec = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        stage1 = self.load_previous_stage(coarse)
        self.guidance = ClipGuidance(clip or stage1["clip"])
        self.freeze_previous_stage(stage1, "coarse", cache_coarse, self.guidance.spec, coarse)
        self.prompts = PromptLearner(self.guidance.clip, classnames, n_ctx, ctx_init)
        self.degrade = Degrade(**degrade) if degrade else None
        self.hq_dataset = instantiate_from_config(to_plain(hq_images), "model.params.hq_images") if hq_images else None
        self.temperature, self.label_smoothing = float(temperature), float(label_smoothing)
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.export_path = export_path
        self.monitor, self.monitor_mode = monitor, monitor_mode
        compile_networks(self, compile, "prompts")  # torch.compile (spikevision.models.compile)
        self.stage1_info = {k: stage1.get(k) for k in ("label_names", "input_spec")}

    def hq_batch(self, batch: Mapping[str, Any], n: int) -> torch.Tensor:
        """HQ images ``[n', C, H, W]``: the batch's images or ``n`` random draws from ``hq_images``."""
        if self.hq_dataset is None:
            if "image" not in batch:
                raise ValueError("stage 2 needs HQ images: the batches have no 'image'; set `hq_images:`")
            return batch["image"]
        idx = torch.randint(len(self.hq_dataset), (n,)).tolist()
        return torch.stack([self.hq_dataset[i]["image"] for i in idx]).to(self.device)

    @torch.no_grad()
    def lq_batch(self, batch: Mapping[str, Any], generator: torch.Generator | None = None,
                 split: str = "train") -> torch.Tensor:
        """LQ images: frozen stage-1 reconstructions (memoised per item), randomly degraded."""
        lq = self.coarse_outputs(batch["input"], batch.get("index"), split).clamp(0, 1)
        return self.degrade(lq, generator) if self.degrade is not None else lq

    def _logits_labels(self, batch: Mapping[str, Any], generator: torch.Generator | None = None,
                       split: str = "train"):
        lq = self.lq_batch(batch, generator, split)
        hq = self.hq_batch(batch, lq.shape[0])
        with torch.no_grad():
            feats = torch.cat([self.guidance.encode(hq), self.guidance.encode(lq)])
        labels = torch.cat([torch.full((hq.shape[0],), HQ), torch.full((lq.shape[0],), LQ)]).to(feats.device)
        logits = feats @ self.prompts().t() / self.temperature
        return logits, labels

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> torch.Tensor:
        logits, labels = self._logits_labels(batch)
        loss = nn.functional.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)
        acc = (logits.argmax(-1) == labels).float().mean()
        self.log("train/loss", loss, prog_bar=True, batch_size=labels.numel())
        self.log("train/hq_lq_acc", acc, batch_size=labels.numel())
        return loss

    def _evaluate(self, batch: Mapping[str, Any], batch_idx: int, split: str) -> None:
        gen = torch.Generator().manual_seed(batch_idx)
        logits, labels = self._logits_labels(batch, gen, split)
        correct = (logits.argmax(-1) == labels).float()
        n = labels.numel()
        self.log(f"{split}/loss", nn.functional.cross_entropy(logits, labels), batch_size=n, sync_dist=True)
        self.log(f"{split}/hq_lq_acc", correct.mean(), prog_bar=True, batch_size=n, sync_dist=True)
        for name, cls in (("hq_acc", HQ), ("lq_acc", LQ)):
            sel = labels == cls
            self.log(f"{split}/{name}", correct[sel].mean(), batch_size=int(sel.sum()), sync_dist=True)

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW([self.prompts.ctx], lr=self.learning_rate, weight_decay=self.weight_decay)

    @torch.no_grad()
    def export(self, path: str | Path) -> Path:
        """Write the learned prompts and their text features ``[2, D]`` as a ``prompts`` export."""
        trainer = self._trainer
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")} if trainer else {}
        out = save_export(path, "prompts", {
            "features": self.prompts().detach().cpu(),
            "ctx": self.prompts.ctx.detach().cpu(),
            "classnames": self.prompts.classnames,
            "n_ctx": self.prompts.n_ctx,
            "temperature": self.temperature,
            "clip": self.guidance.spec,
            "val_metrics": metrics,
            **self.stage1_info,
        })
        log.info("stage-2 prompts written to %s", out)
        return out
