"""Recording files → model inputs ``[T, C, H, W]`` for SpikeCLIP inference, as the datasets do.

``input_spec`` (stored in the stage exports, from the stage-1 config)::

    modality: events | spikes
    representation: {...}   # events: EventRepresentation params (kind, num_bins);
                            # spikes: SpikeBinRepresentation params (num_bins)
    sensor_size: [H, W]     # event sensor size / spike .dat frame size
    crop: [H, W] | null     # spikes: centre crop (UHSR: 224×224)
    size: [H, W] | null     # resize of the representation to the network's input size

Events: ``.bin`` (ATIS), ``.aedat`` (AER-DAT 2.0), ``.npy`` / ``.npz`` event arrays.
Spikes: ``.dat`` (spike camera) and UHSR ``.npz`` (``spk`` key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spikevision.data.recording_dataset import resize_representation
from spikevision.data.representation import EventRepresentation, SpikeBinRepresentation
from spikevision.errors import EventFormatError
from spikevision.io import read_events, read_spike_dat, read_uhsr_npz

EVENT_SUFFIXES = (".bin", ".aedat", ".npy", ".npz")
SPIKE_SUFFIXES = (".dat", ".npz")
ALL_SUFFIXES = (".bin", ".aedat", ".npy", ".npz", ".dat")


def list_recordings(paths: Iterable[str | Path]) -> list[Path]:
    """Files given directly, plus recordings found recursively in given folders (sorted)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in ALL_SUFFIXES and f.is_file())
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"input not found: {p}")
    if not files:
        raise FileNotFoundError(f"no recordings ({', '.join(ALL_SUFFIXES)}) in {[str(p) for p in paths]}")
    return files


def is_uhsr(path: Path) -> bool:
    if path.suffix.lower() != ".npz":
        return False
    with np.load(path, allow_pickle=False) as z:
        return "spk" in z.files


def _center_crop(spikes: np.ndarray, crop: tuple[int, int] | None) -> np.ndarray:
    if not crop:
        return spikes
    h, w = spikes.shape[-2:]
    ch, cw = min(crop[0], h), min(crop[1], w)
    top, left = (h - ch) // 2, (w - cw) // 2
    return spikes[..., top : top + ch, left : left + cw]


def read_raw(path: Path, spec: Mapping[str, Any]) -> np.ndarray:
    """The parsed recording: an event array ``[N]`` or spike frames ``uint8 [S, H, W]``."""
    modality = spec.get("modality", "events")
    sensor = spec.get("sensor_size")
    suffix = path.suffix.lower()
    if modality == "events":
        if suffix == ".dat" or is_uhsr(path):
            raise EventFormatError(f"{path} holds spike frames, but this model reads events ({EVENT_SUFFIXES})")
        events = read_events(path)
        if sensor is not None and len(events):
            h, w = sensor
            keep = (events["x"] < w) & (events["y"] < h)
            events = events[keep]
        return events
    if modality != "spikes":
        raise ValueError(f"input_spec.modality must be 'events' or 'spikes', got '{modality}'")
    if suffix == ".dat":
        h, w = sensor or (250, 400)
        spikes = read_spike_dat(path, h, w)
    elif is_uhsr(path):
        spikes, _ = read_uhsr_npz(path)
    else:
        raise EventFormatError(f"{path} is not a spike recording (.dat or UHSR .npz with 'spk')")
    return _center_crop(spikes, spec.get("crop"))


def to_input(raw: np.ndarray, spec: Mapping[str, Any]) -> torch.Tensor:
    """A parsed recording → ``float32 [T, C, H, W]`` as the datasets produce it."""
    rep_cfg = dict(spec.get("representation") or {})
    if spec.get("modality", "events") == "events":
        h, w = spec.get("sensor_size") or (int(raw["y"].max()) + 1, int(raw["x"].max()) + 1)
        rep = EventRepresentation(**{**rep_cfg, "height": int(h), "width": int(w)})(raw)
    else:
        bins = SpikeBinRepresentation(**rep_cfg)
        usable = raw.shape[0] - raw.shape[0] % bins.num_bins  # drop trailing frames
        if usable == 0:
            raise EventFormatError(f"{raw.shape[0]} spike frames cannot fill {bins.num_bins} bins")
        rep = bins(raw[:usable])
    size = spec.get("size")
    return resize_representation(torch.from_numpy(np.asarray(rep, np.float32)), tuple(size) if size else None)


def load_input(path: str | Path, spec: Mapping[str, Any]) -> torch.Tensor:
    """Read and represent one recording file: ``float32 [T, C, H, W]``."""
    return to_input(read_raw(Path(path), spec), spec)
