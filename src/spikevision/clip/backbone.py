"""A frozen open_clip model for guidance: differentiable image features, cached text features.

The open_clip model is held outside the module tree, so its (large, frozen) weights are not
part of the owner's ``state_dict`` or checkpoints and not seen by optimizers; ``.to()`` /
``.cuda()`` / ``.half()`` still move it, and it always stays in eval mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from spikevision.clip.loading import load_open_clip
from spikevision.clip.preprocess import ClipPreprocess
from spikevision.clip.prompts import DEFAULT_TEMPLATES, format_prompts


class FrozenClip(nn.Module):
    """Frozen CLIP by ``model_name`` + ``pretrained`` (tag or local file; None = random init).

    ``encode_images(x)``: ``[B, 1|3, H, W]`` in [0, 1] → unit features ``[B, D]`` (differentiable
    w.r.t. ``x``). ``class_text_features(labels)``: unit features ``[K, D]`` averaged over the
    prompt ``templates`` and cached per label tuple.
    """

    def __init__(
        self,
        model_name: str = "ViT-B-32",
        pretrained: str | None = "openai",
        templates: Sequence[str] = DEFAULT_TEMPLATES,
        cache_dir: str | None = None,
    ) -> None:
        super().__init__()
        model, tokenizer, cfg = load_open_clip(model_name, pretrained, cache_dir=cache_dir)
        model.eval().requires_grad_(False)
        self.__dict__["_clip"] = model  # hidden from the module tree (see module docstring)
        self.tokenizer: Callable[..., torch.Tensor] = tokenizer
        self.preprocess = ClipPreprocess(cfg["size"], cfg["mean"], cfg["std"])
        self.model_name, self.pretrained = model_name, pretrained
        self.templates = tuple(templates)
        for t in self.templates:
            format_prompts(["x"], t)  # validates the template
        self._text_cache: dict[tuple[Any, ...], torch.Tensor] = {}

    @property
    def clip(self) -> nn.Module:
        """The wrapped open_clip model (frozen)."""
        return self.__dict__["_clip"]

    def _apply(self, fn, recurse: bool = True):  # keep the hidden model on the owner's device/dtype
        super()._apply(fn, recurse)
        self.clip._apply(fn)
        self._text_cache.clear()
        return self

    def train(self, mode: bool = True) -> FrozenClip:
        super().train(mode)
        self.clip.eval()
        return self

    @property
    def device(self) -> torch.device:
        return self.clip.logit_scale.device

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, 1|3, H, W]`` in [0, 1] → L2-normalised image features ``[B, D]``."""
        feats = self.clip.encode_image(self.preprocess(images))
        return nn.functional.normalize(feats.float(), dim=-1)

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """Captions → L2-normalised text features ``[N, D]``."""
        tokens = self.tokenizer(list(texts)).to(self.device)
        return nn.functional.normalize(self.clip.encode_text(tokens).float(), dim=-1)

    def class_text_features(self, labels: Sequence[str], templates: Sequence[str] | None = None) -> torch.Tensor:
        """Unit text features ``[K, D]`` of ``labels``, averaged over templates; cached."""
        templates = tuple(templates or self.templates)
        key = (tuple(labels), templates)
        if key not in self._text_cache:
            per_template = torch.stack([self.encode_texts(format_prompts(labels, t)) for t in templates])
            self._text_cache[key] = nn.functional.normalize(per_template.mean(0), dim=-1)
        return self._text_cache[key]

    def zero_shot_logits(self, images: torch.Tensor, labels: Sequence[str]) -> torch.Tensor:
        """Cosine similarities ``[B, K]`` between images and the class prompts of ``labels``."""
        return self.encode_images(images) @ self.class_text_features(labels).t()
