"""The combined SpikeCLIP checkpoint and the end-to-end pipeline that runs it.

``combine_exports`` gathers the stage exports (stage-1 ``recon``, stage-2 ``prompts``, stage-3
``recon`` and/or ``refiner``) into one ``combined`` file, checking that they share one CLIP and
one label set; a CLIP given as a local file small enough is embedded, so the file is
self-contained. :class:`SpikeClipPipeline` loads it: input ``[B, T, C, H, W]`` → reconstruction
of every stage, zero-shot class probabilities and P(high quality).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spikevision.clip import FrozenClip
from spikevision.models.spikeclip.artifacts import load_export, save_export
from spikevision.models.spikeclip.guidance import check_same_clip
from spikevision.models.spikeclip.refiner import RefinerUNet
from spikevision.models.spikeclip.stage1_recon import load_recon

EMBED_LIMIT_MB = 100.0


def combine_exports(
    output: str | Path,
    stage1: str | Path,
    prompts: str | Path | None = None,
    stage3: str | Path | None = None,
    refiner: str | Path | None = None,
    embed_clip: bool = True,
) -> Path:
    """Write the ``combined`` checkpoint; returns its path. See module docstring."""
    s1 = load_export(stage1, "recon")
    parts: dict[str, Any] = {"stage1": s1}
    for name, path, kind in (("prompts", prompts, "prompts"), ("stage3", stage3, "recon"),
                             ("refiner", refiner, "refiner")):
        if path:
            exp = load_export(path, kind)
            check_same_clip(exp["clip"], s1["clip"], str(path))
            if exp.get("label_names") and exp["label_names"] != s1["label_names"]:
                raise ValueError(f"{path} was trained for other classes than {stage1}")
            parts[name] = exp
    payload: dict[str, Any] = {
        "clip": s1["clip"], "label_names": s1["label_names"], "input_spec": s1.get("input_spec") or {},
        "stages": parts, "clip_state_dict": None,
    }
    clip_file = Path(str(s1["clip"].get("pretrained") or ""))
    if embed_clip and clip_file.is_file() and clip_file.stat().st_size < EMBED_LIMIT_MB * 2**20:
        payload["clip_state_dict"] = torch.load(clip_file, map_location="cpu", weights_only=True)
    return save_export(output, "combined", payload)


class SpikeClipPipeline(nn.Module):
    """All stages of a combined checkpoint. ``stage_names`` lists the reconstructions produced:
    ``stage1`` and, when present, ``stage3`` (fine-tuned SNN) and ``refined`` (stage-1 + refiner)."""

    def __init__(self, combined: Mapping[str, Any]) -> None:
        super().__init__()
        stages = combined["stages"]
        spec = dict(combined["clip"])
        embedded = combined.get("clip_state_dict")
        if embedded is not None:  # built empty, then filled: silence open_clip's "random init" warning
            spec["pretrained"] = None
            logging.disable(logging.WARNING)
        try:
            self.clip = FrozenClip(**spec)
        finally:
            logging.disable(logging.NOTSET)
        if embedded is not None:
            self.clip.clip.load_state_dict(embedded)
        self.label_names: list[str] = list(combined["label_names"])
        self.input_spec: dict[str, Any] = dict(combined.get("input_spec") or {})
        self.stage1 = load_recon(stages["stage1"])
        self.stage3 = load_recon(stages["stage3"]) if "stage3" in stages else None
        self.refiner = None
        if "refiner" in stages:
            self.refiner = RefinerUNet(**stages["refiner"]["refiner_params"])
            self.refiner.load_state_dict(stages["refiner"]["state_dict"])
        hq_lq = stages["prompts"]["features"].float() if "prompts" in stages else None
        self.register_buffer("hq_lq", hq_lq, persistent=False)
        self.quality_temperature = float(stages["prompts"].get("temperature", 0.07)) if hq_lq is not None else 0.07
        self.eval()

    @classmethod
    def from_file(cls, path: str | Path, device: str | torch.device = "cpu") -> SpikeClipPipeline:
        return cls(load_export(path, "combined")).to(device)

    @property
    def stage_names(self) -> list[str]:
        return ["stage1"] + (["stage3"] if self.stage3 is not None else []) + (
            ["refined"] if self.refiner is not None else [])

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Input ``[B, T, C, H, W]`` → ``{stage name: image [B, 1, H, W] in [0, 1]}``."""
        out = {"stage1": self.stage1(x).clamp(0, 1)}
        if self.stage3 is not None:
            out["stage3"] = self.stage3(x).clamp(0, 1)
        if self.refiner is not None:
            out["refined"] = self.refiner(out["stage1"]).clamp(0, 1)
        return out

    @torch.no_grad()
    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """Zero-shot class probabilities ``[B, K]`` (softmax of CLIP's scaled cosine logits)."""
        logits = self.clip.zero_shot_logits(images, self.label_names) * self.clip.clip.logit_scale.exp()
        return logits.softmax(-1)

    @torch.no_grad()
    def quality(self, images: torch.Tensor) -> torch.Tensor | None:
        """P(high quality) ``[B]`` from the stage-2 prompts at their training temperature
        (None without prompts)."""
        if self.hq_lq is None:
            return None
        feats = self.clip.encode_images(images)
        return (feats @ self.hq_lq.to(feats).t() / self.quality_temperature).softmax(-1)[:, 0]

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstructions plus ``probs`` (class probabilities of the final stage's image)."""
        out = self.reconstruct(x)
        out["probs"] = self.classify(out[self.stage_names[-1]])
        return out
