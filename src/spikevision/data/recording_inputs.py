"""Recording files → model inputs ``[T, C, H, W]`` for inference (SpikeCLIP), as the datasets do.

``input_spec`` (stored in the stage exports, from the stage-1 config)::

    modality: events | spikes
    representation: {...}   # events: EventRepresentation params (kind, num_bins);
                            # spikes: SpikeBinRepresentation params (num_bins)
    sensor_size: [H, W]     # event sensor size / spike .dat frame size
    crop: [H, W] | null     # spikes: centre crop (UHSR: 224×224)
    size: [H, W] | null     # resize of the representation to the network's input size
    fit: crop | resize | null  # events from another sensor than sensor_size: refused (null),
                            # cropped to it or their coordinates scaled to it (with a warning)

Events: ``.bin`` (ATIS), ``.aedat`` (AER-DAT 2.0), ``.npy`` / ``.npz`` event arrays.
Spikes: ``.dat`` (spike camera) and UHSR ``.npz`` (``spk`` key).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spikevision.data.recording_dataset import resize_representation
from spikevision.data.representation import EventRepresentation, SpikeBinRepresentation
from spikevision.errors import ConfigError, EventFormatError
from spikevision.io import npz_keys, read_aedat2_chip, read_events, read_spike_dat, read_uhsr_npz
from spikevision.transforms import center_crop

EVENT_SUFFIXES = (".bin", ".aedat", ".npy", ".npz")
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
    return "spk" in npz_keys(path)


FITS = ("crop", "resize")


def fit_to_sensor(events: np.ndarray, path: Path, sensor: Sequence[int], fit: str | None) -> np.ndarray:
    """``events`` checked against the model's ``sensor = (H, W)``. A recording from another
    sensor (per its AER-DAT ``# AEChip:`` header, or events outside ``H×W``) is refused unless
    ``fit`` asks to ``crop`` (keep the events inside ``H×W``) or ``resize`` (scale coordinates to
    ``H×W``); either is done with a warning saying what was done."""
    h, w = int(sensor[0]), int(sensor[1])
    rec_h, rec_w = int(events["y"].max()) + 1, int(events["x"].max()) + 1
    source = "its events"
    if path.suffix.lower() == ".aedat":
        chip = read_aedat2_chip(path)
        rec_h, rec_w, source = chip.height, chip.width, f"its '# AEChip:' header ({chip.name})"
    elif rec_h <= h and rec_w <= w:
        return events
    if (rec_h, rec_w) == (h, w):
        return events
    mismatch = (f"{path}: recorded on a {rec_h}×{rec_w} sensor (per {source}), but the model takes "
                f"{h}×{w} events (rows×columns)")
    if fit is None:
        raise EventFormatError(f"{mismatch}; refused. Use a model trained for this sensor, or ask "
                               "for fit: crop (keep the events inside) or fit: resize (scale "
                               "coordinates) in the input spec (spikeclip_infer --fit crop|resize)")
    if fit == "crop":
        keep = (events["x"] < w) & (events["y"] < h)
        warnings.warn(f"{mismatch}; fit=crop: kept the {int(keep.sum())} of {len(events)} events in "
                      f"rows 0..{h - 1}, columns 0..{w - 1} and dropped the rest", stacklevel=2)
        return events[keep]
    if fit == "resize":
        out = events.copy()
        out["x"] = np.minimum(events["x"].astype(np.int64) * w // rec_w, w - 1)
        out["y"] = np.minimum(events["y"].astype(np.int64) * h // rec_h, h - 1)
        warnings.warn(f"{mismatch}; fit=resize: scaled the coordinates of all {len(events)} events "
                      f"from {rec_h}×{rec_w} to {h}×{w}", stacklevel=2)
        return out
    raise ConfigError(f"input_spec.fit must be one of {FITS} or null, got {fit!r}")


def read_raw(path: Path, spec: Mapping[str, Any]) -> np.ndarray:
    """The parsed recording: an event array ``[N]`` or spike frames ``uint8 [S, H, W]``."""
    modality = spec.get("modality", "events")
    sensor = spec.get("sensor_size")
    suffix = path.suffix.lower()
    if modality == "events":
        if suffix == ".dat" or is_uhsr(path):
            raise EventFormatError(f"{path} holds spike frames, but this model reads events ({EVENT_SUFFIXES})")
        events = read_events(path)
        if len(events) == 0:
            what = "a 0-byte file" if path.stat().st_size == 0 else "the file holds no events"
            raise EventFormatError(f"{path} is an empty event stream ({what}): nothing to reconstruct; "
                                   "check the recording or leave it out")
        return events if sensor is None else fit_to_sensor(events, path, sensor, spec.get("fit"))
    if modality != "spikes":
        raise ValueError(f"input_spec.modality must be 'events' or 'spikes', got '{modality}'")
    if suffix == ".dat":
        h, w = sensor or (250, 400)
        spikes = read_spike_dat(path, h, w)
    elif is_uhsr(path):
        spikes, _ = read_uhsr_npz(path)
    else:
        raise EventFormatError(f"{path} is not a spike recording (.dat or UHSR .npz with 'spk')")
    if spikes.shape[0] == 0:
        raise EventFormatError(f"{path} holds no spike frames (a {path.stat().st_size}-byte file): "
                               "nothing to reconstruct")
    return center_crop(spikes, spec.get("crop"), fit=True)  # a crop larger than the frames keeps them whole


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
