"""Numbers that say whether generated digits and event streams look like the data:
confidently classified share and class histogram (mode collapse shows as a few classes), the
consecutive-frame correlation of event samples (temporal consistency), and per-bin F1 of binary
event frames (how well a reconstruction places events)."""

from __future__ import annotations

import torch


def class_statistics(probabilities: torch.Tensor, threshold: float = 0.9) -> dict[str, object]:
    """From ``[N, K]`` class probabilities: the share classified with confidence ≥ ``threshold``,
    the share per predicted class (``histogram``, K entries summing to 1) and its maximum."""
    if probabilities.dim() != 2 or len(probabilities) == 0:
        raise ValueError(f"probabilities must be [N, K] with N > 0, got {tuple(probabilities.shape)}")
    conf, pred = probabilities.max(1)
    hist = torch.bincount(pred, minlength=probabilities.shape[1]).float() / len(pred)
    return {"confident_share": float((conf >= threshold).float().mean()),
            "histogram": [round(float(h), 4) for h in hist], "max_class_share": float(hist.max()),
            "classes_seen": int((hist > 0).sum())}


def consecutive_frame_correlation(frames: torch.Tensor) -> float:
    """Mean Pearson correlation between the frames of steps t and t+1, per sample over all
    channels and pixels, averaged over samples and steps. ``frames``: ``[N, T, C, H, W]``, T ≥ 2.
    A constant frame counts as correlation 0."""
    if frames.dim() != 5 or frames.shape[1] < 2:
        raise ValueError(f"frames must be [N, T>=2, C, H, W], got {tuple(frames.shape)}")
    a, b = frames[:, :-1].flatten(2).double(), frames[:, 1:].flatten(2).double()
    a, b = a - a.mean(-1, keepdim=True), b - b.mean(-1, keepdim=True)
    denom = a.norm(dim=-1) * b.norm(dim=-1)
    corr = torch.where(denom > 0, (a * b).sum(-1) / denom.clamp(min=1e-300), torch.zeros_like(denom))
    return float(corr.mean())


def event_frame_f1(prediction: torch.Tensor, target: torch.Tensor, threshold: float = 0.5) -> float:
    """F1 of binary event frames: an event is a pixel·bin·polarity with value > ``threshold`` in
    ``prediction`` and > 0 in ``target`` (both in [0, 1], same shape). Pooled over all entries;
    1.0 when neither has any event."""
    if prediction.shape != target.shape:
        raise ValueError(f"shapes differ: {tuple(prediction.shape)} vs {tuple(target.shape)}")
    p, t = prediction > threshold, target > 0
    tp = (p & t).sum().item()
    fp, fn = (p & ~t).sum().item(), (~p & t).sum().item()
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
