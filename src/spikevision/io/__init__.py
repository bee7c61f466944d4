"""Readers and writers for neuromorphic recordings; events are EVENT_DTYPE arrays [N].

``read_events`` / ``write_events`` dispatch on the file suffix:

- ``.bin``   ATIS (N-MNIST, N-Caltech101)
- ``.aedat`` AER-DAT 2.0 (CIFAR10-DVS; DVS128, DAVIS346, DAVIS240 per the ``# AEChip:`` line)
- ``.npy``   a saved structured array with fields x, y, t, p
- ``.npz``   arrays ``x``, ``y``, ``t``, ``p`` (or one structured array ``events``)

Spike-camera ``.dat`` files and UHSR ``.npz`` samples hold spike frames, not events: use
``read_spike_dat`` / ``read_uhsr_npz``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spikevision.errors import EventFormatError
from spikevision.io.aedat2 import (
    AedatChip,
    read_aedat2,
    read_aedat2_chip,
    read_aedat2_header,
    write_aedat2,
)
from spikevision.io.atis_bin import read_atis_bin, write_atis_bin
from spikevision.io.event_array import (
    EVENT_DTYPE,
    check_events,
    empty_events,
    events_from_fields,
    make_events,
)
from spikevision.io.numpy_files import load_npy, load_npz, npz_keys
from spikevision.io.spike_dat import read_spike_dat, write_spike_dat
from spikevision.io.uhsr_npz import read_uhsr_npz, write_uhsr_npz

__all__ = [
    "EVENT_DTYPE",
    "AedatChip",
    "SUPPORTED_EVENT_SUFFIXES",
    "check_events",
    "empty_events",
    "events_from_fields",
    "load_npy",
    "load_npz",
    "make_events",
    "npz_keys",
    "read_aedat2",
    "read_aedat2_chip",
    "read_aedat2_header",
    "read_atis_bin",
    "read_events",
    "read_spike_dat",
    "read_uhsr_npz",
    "write_aedat2",
    "write_atis_bin",
    "write_events",
    "write_spike_dat",
    "write_uhsr_npz",
]

SUPPORTED_EVENT_SUFFIXES = (".bin", ".aedat", ".npy", ".npz")
_HINTS = {".dat": " (spike-camera .dat files hold frames: use read_spike_dat)"}


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EVENT_SUFFIXES:
        raise EventFormatError(
            f"{path}: unknown event file suffix {path.suffix!r}; supported: "
            f"{', '.join(SUPPORTED_EVENT_SUFFIXES)}{_HINTS.get(suffix, '')}"
        )
    return suffix


def _from_fields(arr: np.ndarray, path: Path) -> np.ndarray:
    try:
        check_events(arr)
    except TypeError as err:
        raise EventFormatError(f"{path}: {err}") from None
    return events_from_fields(arr, str(path))


def _read_npz(path: Path) -> np.ndarray:
    keys = set(npz_keys(path))
    if "events" in keys:
        return _from_fields(load_npz(path, {"events"})["events"], path)
    if {"x", "y", "t", "p"} <= keys:
        return events_from_fields(load_npz(path, {"x", "y", "t", "p"}), str(path))
    hint = " (a UHSR spike sample: use read_uhsr_npz)" if "spk" in keys else ""
    raise EventFormatError(
        f"{path}: .npz holds no events: expected arrays x, y, t, p or 'events', "
        f"found {sorted(keys)}{hint}"
    )


def read_events(path: str | os.PathLike) -> np.ndarray:
    """Read an event recording (format chosen by suffix) into an EVENT_DTYPE array [N]."""
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise FileNotFoundError(f"event file not found: {path}")
    if suffix == ".bin":
        return read_atis_bin(path)
    if suffix == ".aedat":
        return read_aedat2(path)
    if suffix == ".npy":
        return _from_fields(load_npy(path), path)
    return _read_npz(path)


def write_events(path: str | os.PathLike, events: np.ndarray) -> None:
    """Write an event array [N] in the format chosen by the suffix of ``path``."""
    path = Path(path)
    suffix = _suffix(path)
    check_events(events)
    if suffix == ".bin":
        write_atis_bin(path, events)
    elif suffix == ".aedat":
        write_aedat2(path, events)
    elif suffix == ".npy":
        np.save(path, make_events(events["x"], events["y"], events["t"], events["p"]))
    else:
        np.savez_compressed(path, x=events["x"], y=events["y"], t=events["t"], p=events["p"])
