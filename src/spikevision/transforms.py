"""Array transforms shared by data, models, metrics and the command-line tools.

Low level on purpose: depends on nothing else in spikevision, so a dataset, a metric and a
model can all use it without importing one another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import torch

ArrayT = TypeVar("ArrayT", torch.Tensor, np.ndarray)


def center_crop(x: ArrayT, size: int | Sequence[int] | None, fit: bool = False) -> ArrayT:
    """Centre-crop the last two axes of a tensor or numpy array to ``size`` (``int``: square,
    or ``(h, w)``); a view, of the input's type. Offsets are ``(H - h) // 2`` and ``(W - w) // 2``.

    ``None`` (or an empty size) returns ``x`` itself. A size larger than the input raises
    ``ValueError``, unless ``fit=True``, which keeps such an axis whole instead.
    """
    if size is None or (not isinstance(size, int) and len(size) == 0):
        return x
    th, tw = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    h, w = x.shape[-2:]
    if fit:
        th, tw = min(th, h), min(tw, w)
    elif th > h or tw > w:
        raise ValueError(f"cannot crop {h}×{w} inputs to {th}×{tw}")
    if (th, tw) == (h, w):
        return x
    top, left = (h - th) // 2, (w - tw) // 2
    return x[..., top : top + th, left : left + tw]


def paired_augment(
    spikes: torch.Tensor, image: torch.Tensor, rotations: int = 0, hflip: bool = False, vflip: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate both by ``rotations``·90° (counter-clockwise) and flip them, over the last two dims."""
    if rotations % 4:
        spikes = torch.rot90(spikes, rotations, dims=(-2, -1))
        image = torch.rot90(image, rotations, dims=(-2, -1))
    if hflip:
        spikes, image = spikes.flip(-1), image.flip(-1)
    if vflip:
        spikes, image = spikes.flip(-2), image.flip(-2)
    return spikes, image


def translate(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Shift the last two axes by ``dy`` rows and ``dx`` columns (positive: down / right), filling
    the uncovered border with zeros; what leaves the frame is dropped. A new tensor, same shape."""
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src_y, dst_y = slice(max(0, -dy), h - max(0, dy)), slice(max(0, dy), h - max(0, -dy))
    src_x, dst_x = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w - max(0, -dx))
    out[..., dst_y, dst_x] = x[..., src_y, src_x]
    return out


def translate_events(events: np.ndarray, dy: int, dx: int, height: int, width: int) -> np.ndarray:
    """Shift a structured event array (fields ``x``, ``y``) by ``dy``/``dx`` pixels on a
    ``height``×``width`` sensor, dropping the events that leave it; same dtype, time order kept."""
    y = events["y"].astype(np.int64) + dy
    x = events["x"].astype(np.int64) + dx
    keep = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    out = events[keep].copy()
    out["y"], out["x"] = y[keep], x[keep]
    return out
