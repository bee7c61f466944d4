"""UHSR samples (U-Caltech, U-CIFAR): one ``.npz`` per sample with ``spk`` [T, H, W] and ``label``.

Real samples are ``spk`` [200, 250, 250] uint8 0/1. SpikeCLIP's input crops to 224×224
(``[:, 13:237, 13:237]``) and sums non-overlapping groups of 4 frames -> 50 channels.
"""

from __future__ import annotations

import os

import numpy as np

from spikevision.errors import EventFormatError


def read_uhsr_npz(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Return ``(spikes uint8 [T, H, W], label int)`` from a UHSR ``.npz`` sample."""
    with np.load(path, allow_pickle=False) as data:
        missing = {"spk", "label"} - set(data.files)
        if missing:
            raise EventFormatError(
                f"{os.fspath(path)} is not a UHSR sample: missing key(s) {sorted(missing)}; "
                f"keys found: {sorted(data.files)}"
            )
        spk = data["spk"]
        label = np.asarray(data["label"])
    if spk.ndim != 3:
        raise EventFormatError(f"{os.fspath(path)}: 'spk' must be [T, H, W], got shape {spk.shape}")
    if label.size != 1:
        raise EventFormatError(
            f"{os.fspath(path)}: 'label' must hold one integer, got shape {label.shape}"
        )
    return spk.astype(np.uint8, copy=False), int(label.reshape(-1)[0])


def write_uhsr_npz(path: str | os.PathLike, spikes: np.ndarray, label: int) -> None:
    """Write spike frames [T, H, W] (stored as uint8) and an integer label as a UHSR ``.npz``."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3:
        raise ValueError(f"spikes must have shape [T, H, W], got {spikes.shape}")
    np.savez_compressed(path, spk=spikes.astype(np.uint8), label=np.int64(label))


def uhsr_to_channels(
    spk: np.ndarray, crop: tuple[int, int] = (13, 237), group: int = 4
) -> np.ndarray:
    """Crop ``[:, a:b, a:b]`` and sum non-overlapping groups of ``group`` frames.

    [T, H, W] -> float32 [T // group, b - a, b - a]; T must be a multiple of ``group``.
    """
    spk = np.asarray(spk)
    a, b = crop
    if spk.ndim != 3:
        raise ValueError(f"spk must have shape [T, H, W], got {spk.shape}")
    t, h, w = spk.shape
    if not (0 <= a < b <= min(h, w)):
        raise ValueError(f"crop {crop} does not fit in frames of {h}×{w}")
    if group <= 0 or t % group:
        raise ValueError(f"{t} frames cannot be split into groups of {group}")
    cropped = spk[:, a:b, a:b].astype(np.float32)
    return cropped.reshape(t // group, group, b - a, b - a).sum(axis=1)
