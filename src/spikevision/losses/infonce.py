"""CLIP-space losses of SpikeCLIP: class InfoNCE (stages 0, 1, 3) and the HQ-prompt loss (stage 3).

All features are expected L2-normalised, so dot products are cosine similarities.
"""

from __future__ import annotations

import torch
from torch import nn


def class_infonce(
    image_features: torch.Tensor, text_features: torch.Tensor, labels: torch.Tensor, temperature: float = 0.07
) -> torch.Tensor:
    """Class InfoNCE: ``−mean_i log softmax_k(⟨f_i, t_k⟩ / τ)[y_i]``.

    Args:
        image_features: ``[B, D]`` unit image features.
        text_features: ``[K, D]`` unit text features, one per class prompt.
        labels: ``[B]`` int class indices in ``[0, K)``.
        temperature: τ (SpikeCLIP: 0.07).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    logits = image_features @ text_features.t() / temperature
    return nn.functional.cross_entropy(logits, labels)


def quality_logits(
    image_features: torch.Tensor, hq_lq_features: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Logits ``[B, 2]`` = cosine similarities to the (HQ, LQ) prompt features ``[2, D]`` / τ."""
    if hq_lq_features.shape[0] != 2:
        raise ValueError(f"expected 2 prompt features (HQ, LQ), got {hq_lq_features.shape[0]}")
    return image_features @ hq_lq_features.t() / temperature


def hq_prompt_loss(
    image_features: torch.Tensor, hq_lq_features: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """``L_prompt = −mean log P(HQ)``, ``P = softmax(quality_logits)``; pushes outputs toward the
    HQ prompt. ``temperature=1`` is the events seed's form (no temperature)."""
    logits = quality_logits(image_features, hq_lq_features, temperature)
    return -nn.functional.log_softmax(logits, dim=-1)[:, 0].mean()


def quality_guided_loss(
    class_loss: torch.Tensor, prompt_loss: torch.Tensor, prompt_weight: float = 100.0,
    regulariser: torch.Tensor | None = None, regulariser_weight: float = 0.0,
) -> torch.Tensor:
    """Stage-3 total ``L_class + λ·L_prompt (+ μ·L_reg)`` (SpikeCLIP: λ = 100)."""
    total = class_loss + prompt_weight * prompt_loss
    if regulariser is not None and regulariser_weight:
        total = total + regulariser_weight * regulariser
    return total


def class_contrastive(
    image_features: torch.Tensor, text_features: torch.Tensor, labels: torch.Tensor, logit_scale: torch.Tensor
) -> torch.Tensor:
    """Symmetric CLIP loss with class captions (stage 0), robust to repeated classes in a batch.

    Image → text: cross-entropy over the ``K`` class captions. Text → image: for each class
    present in the batch, cross-entropy over the ``B`` images with the target spread uniformly
    over that class's images. Returns the mean of both directions.
    """
    logits = logit_scale * image_features @ text_features.t()  # [B, K]
    i2t = nn.functional.cross_entropy(logits, labels)
    onehot = nn.functional.one_hot(labels, text_features.shape[0]).t().float()  # [K, B]
    present = onehot.sum(1) > 0
    targets = onehot[present] / onehot[present].sum(1, keepdim=True)
    t2i = -(targets * nn.functional.log_softmax(logits.t()[present], dim=-1)).sum(1).mean()
    return 0.5 * (i2t + t2i)
