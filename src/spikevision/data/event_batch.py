"""Collating items that carry raw event arrays, and representing them per batch on the device."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import default_collate

from spikevision.data.recording_dataset import resize_representation
from spikevision.events import events_to_tensors


def collate_batch(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``default_collate``, except that per-item ``events`` arrays (variable length) become one
    dict of concatenated int64 tensors ``x, y, t, p, batch_index``."""
    if not items or "events" not in items[0]:
        return default_collate(list(items))
    rest = [{k: v for k, v in it.items() if k != "events"} for it in items]
    batch = default_collate(rest)
    batch["events"] = events_to_tensors([it["events"] for it in items])
    return batch


def represent_on_device(batch: dict[str, Any], dataset: Any) -> dict[str, Any]:
    """Replace ``batch['events']`` by ``batch['input']`` ``[B, T, C, H, W]`` computed on the
    events' device with ``dataset.representation`` (resized to ``dataset.size`` if set)."""
    events = batch.pop("events")
    batch_size = len(batch["index"])
    rep = dataset.representation.batch_torch(events, batch_size)
    size = getattr(dataset, "size", None)
    if size is not None and tuple(rep.shape[-2:]) != tuple(size):
        rep = resize_representation(rep.flatten(0, 1), size).unflatten(0, (batch_size, -1))
    batch["input"] = rep.to(torch.float32)
    return batch
