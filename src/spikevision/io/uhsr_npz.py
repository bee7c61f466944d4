"""UHSR samples (U-Caltech, U-CIFAR): one ``.npz`` per sample with ``spk`` [T, H, W] and ``label``.

Real samples are ``spk`` [200, 250, 250] uint8 0/1. SpikeCLIP's input crops to 224×224
(``[:, 13:237, 13:237]``) and sums non-overlapping groups of 4 frames -> 50 channels; the
dataset :class:`spikevision.data.uhsr.UHSR` does both (as firing rates per group).
"""

from __future__ import annotations

import os

import numpy as np

from spikevision.errors import EventFormatError
from spikevision.io.numpy_files import load_npz, npz_keys


def read_uhsr_npz(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Return ``(spikes uint8 [T, H, W], label int)`` from a UHSR ``.npz`` sample."""
    keys = npz_keys(path)
    missing = {"spk", "label"} - set(keys)
    if missing:
        raise EventFormatError(
            f"{os.fspath(path)} is not a UHSR sample: missing key(s) {sorted(missing)}; "
            f"keys found: {sorted(keys)}"
        )
    data = load_npz(path, {"spk", "label"})
    spk = data["spk"]
    if spk.ndim != 3:
        raise EventFormatError(f"{os.fspath(path)}: 'spk' must be [T, H, W], got shape {spk.shape}")
    if spk.dtype.kind not in "biuf":
        raise EventFormatError(f"{os.fspath(path)}: 'spk' has non-numeric dtype {spk.dtype}; "
                               "UHSR spikes are uint8 0/1")
    if spk.size and spk.dtype.kind != "b":
        binary = (spk.min() >= 0 and spk.max() <= 1) if spk.dtype.kind in "iu" else bool(
            ((spk == 0) | (spk == 1)).all())
        if not binary:
            raise EventFormatError(
                f"{os.fspath(path)}: 'spk' ({spk.dtype}) holds values other than 0 and 1 (range "
                f"[{spk.min()}, {spk.max()}]); UHSR spike frames are binary uint8 0/1")
    return spk.astype(np.uint8, copy=False), _label(data["label"], path)


def _label(label: np.ndarray, path: str | os.PathLike) -> int:
    label = np.asarray(label)
    if label.size != 1:
        raise EventFormatError(
            f"{os.fspath(path)}: 'label' must hold one integer, got shape {label.shape}"
        )
    value = label.reshape(-1)[0]
    if label.dtype.kind not in "iu" and not (label.dtype.kind == "f" and float(value).is_integer()):
        raise EventFormatError(f"{os.fspath(path)}: 'label' must be an integer class index, got "
                               f"{value.item()!r} ({label.dtype})")
    if int(value) < 0:
        raise EventFormatError(f"{os.fspath(path)}: 'label' must be a class index >= 0, got {int(value)}")
    return int(value)


def read_uhsr_label(path: str | os.PathLike) -> int:
    """The integer ``label`` of a UHSR ``.npz`` sample (the spikes are not decompressed)."""
    if "label" not in npz_keys(path):
        raise EventFormatError(f"{os.fspath(path)} is not a UHSR sample: no 'label' array")
    return _label(load_npz(path, {"label"})["label"], path)


def read_uhsr_label_name(path: str | os.PathLike) -> str | None:
    """The sample's ``label_name`` entry (None when absent), as stored: real UHSR files hold the
    source image's file name there (e.g. ``'4144_helicopter.jpg'``)."""
    if "label_name" not in npz_keys(path):
        return None
    arr = load_npz(path, {"label_name"})["label_name"]
    if arr.dtype.kind not in "US" or arr.size != 1:
        raise EventFormatError(f"{os.fspath(path)}: 'label_name' must be one string, got {arr.dtype} "
                               f"of shape {arr.shape}")
    value = arr.reshape(-1)[0]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def write_uhsr_npz(path: str | os.PathLike, spikes: np.ndarray, label: int) -> None:
    """Write spike frames [T, H, W] (stored as uint8) and an integer label as a UHSR ``.npz``."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3:
        raise ValueError(f"spikes must have shape [T, H, W], got {spikes.shape}")
    np.savez_compressed(path, spk=spikes.astype(np.uint8), label=np.int64(label))
