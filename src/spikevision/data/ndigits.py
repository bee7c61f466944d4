"""N-Digits: the embedded default dataset (neuromorphic scikit-learn digits, 34×34).

Items carry the event representation (or spike-rate bins), the source image as ground truth
and the label name ("zero" … "nine") for captions. The source recordings are generated once
into the cache by :mod:`spikevision.data.ndigits_source`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from spikevision.data.ndigits_source import load_ndigits
from spikevision.data.representation import EventRepresentation, SpikeBinRepresentation
from spikevision.errors import ConfigError
from spikevision.transforms import translate, translate_events

MODALITIES = ("events", "spikes", "image")


class NDigits(Dataset):
    """N-Digits split (``train``/``validation``/``test``).

    ``modality='events'``: ``input`` = event representation ``[T, C, 34, 34]``;
    ``'spikes'``: spike-rate bins ``[T, 1, 34, 34]`` from the simulated spike camera;
    ``'image'``: ``input`` = the image ``[1, 34, 34]`` (for static-image models).
    ``image`` is always the source digit ``[1, 34, 34]`` in [0, 1].
    Representations are computed once per item and kept in memory (they are tiny).
    ``on_device=True`` yields raw ``events`` instead, represented per batch on the training
    device by the DataModule.

    ``shift_px``: random translation augmentation (training split): each item is shifted by
    integers ``dy, dx`` drawn uniformly from ``[-shift_px, shift_px]`` (torch's generator, so
    Lightning's per-worker seeding applies), input and image together, zero-filled borders;
    events that leave the 34×34 sensor are dropped. ``0`` (the default) serves items unchanged.
    """

    def __init__(
        self,
        split: str = "train",
        modality: str = "events",
        representation: dict[str, Any] | None = None,
        root: str | None = None,
        limit: int | None = None,
        on_device: bool = False,
        shift_px: int = 0,
    ) -> None:
        if modality not in MODALITIES:
            raise ValueError(f"N-Digits modality must be one of {MODALITIES}, got '{modality}'")
        self.source = load_ndigits(root)
        self.indices = np.asarray(self.source.indices(split))[:limit]
        self.modality = modality
        self.label_names = list(self.source.label_names)
        rep_cfg = dict(representation or {})
        if modality == "events":
            self.representation = EventRepresentation(**{"height": 34, "width": 34, **rep_cfg})
        elif modality == "spikes":
            self.representation = SpikeBinRepresentation(**rep_cfg)
        else:
            self.representation = None
        self._memo: dict[int, torch.Tensor] = {}
        if on_device and modality != "events":
            raise ValueError("on_device representations exist for modality 'events' only")
        self.on_device = on_device
        if isinstance(shift_px, bool) or not isinstance(shift_px, int) or not 0 <= shift_px < 17:
            raise ConfigError(f"N-Digits shift_px must be an integer in [0, 16] (pixels), got {shift_px!r}")
        self.shift_px = shift_px

    def __len__(self) -> int:
        return len(self.indices)

    def _input(self, i: int) -> torch.Tensor:
        if i not in self._memo:
            raw = self.source.events(i) if self.modality == "events" else self.source.spikes(i)
            self._memo[i] = torch.from_numpy(np.asarray(self.representation(raw), np.float32))
        return self._memo[i]

    def spike_frames(self, index: int) -> np.ndarray | None:
        """The simulated spike frames behind item ``index`` (modality ``spikes``), else None."""
        return self.source.spikes(int(self.indices[index])) if self.modality == "spikes" else None

    def __getitem__(self, index: int) -> dict[str, Any]:
        i = int(self.indices[index])
        image = torch.from_numpy(np.asarray(self.source.images[i], np.float32))[None]
        label = int(self.source.labels[i])
        item = {"image": image, "label": label, "label_name": self.label_names[label], "index": index}
        if self.on_device:
            item["events"] = self.source.events(i)
        else:
            item["input"] = image if self.representation is None else self._input(i)
        if self.shift_px:
            dy, dx = (int(v) for v in torch.randint(-self.shift_px, self.shift_px + 1, (2,)))
            item["image"] = translate(image, dy, dx)
            if self.on_device:
                item["events"] = translate_events(item["events"], dy, dx, *image.shape[-2:])
            else:
                item["input"] = item["image"] if self.representation is None else translate(item["input"], dy, dx)
        return item
