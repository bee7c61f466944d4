"""Spike-camera ``.dat`` recordings (binary spike frames, e.g. 250×400 at 40 kHz).

No header. Each frame is H·W bits, row-major, least-significant bit first (pixel k is bit k % 8
of byte k // 8), with rows stored upside down; the reader flips them to display orientation.
"""

from __future__ import annotations

import os

import numpy as np

from spikevision.errors import EventFormatError


def _bytes_per_frame(height: int, width: int) -> int:
    if height <= 0 or width <= 0 or (height * width) % 8:
        raise ValueError(
            f"spike .dat frames pack 8 pixels per byte: height*width must be a positive multiple "
            f"of 8, got {height}×{width} = {height * width}"
        )
    return height * width // 8


def read_spike_dat(
    path: str | os.PathLike,
    height: int = 250,
    width: int = 400,
    start: int = 0,
    count: int | None = None,
) -> np.ndarray:
    """Read frames ``start .. start+count`` (all by default) as uint8 0/1 [T, H, W], display rows.

    Only the bytes of the requested frames are read.
    """
    bpf = _bytes_per_frame(height, width)
    size = os.path.getsize(path)
    if size % bpf:
        raise EventFormatError(
            f"{os.fspath(path)}: {size} bytes is not a whole number of {height}×{width} frames "
            f"({bpf} bytes each, {size % bpf} bytes left over); check --height/--width"
        )
    n_frames = size // bpf
    if count is None:
        count = n_frames - start
    if start < 0 or count < 0 or start + count > n_frames:
        raise ValueError(
            f"{os.fspath(path)} has {n_frames} frames of {height}×{width}; "
            f"cannot read frames [{start}, {start + count})"
        )
    raw = np.fromfile(path, dtype=np.uint8, count=count * bpf, offset=start * bpf)
    bits = np.unpackbits(raw.reshape(count, bpf), axis=1, bitorder="little")
    return np.ascontiguousarray(bits.reshape(count, height, width)[:, ::-1, :])


def write_spike_dat(path: str | os.PathLike, spikes: np.ndarray) -> None:
    """Write 0/1 spike frames [T, H, W] (display orientation) as a spike-camera ``.dat`` file."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3:
        raise ValueError(f"spikes must have shape [T, H, W], got {spikes.shape}")
    t, h, w = spikes.shape
    _bytes_per_frame(h, w)
    if spikes.size and not np.isin(spikes, (0, 1)).all():
        raise ValueError("spikes must contain only 0 and 1")
    flipped = spikes[:, ::-1, :].astype(np.uint8).reshape(t, h * w)
    np.packbits(flipped, axis=1, bitorder="little").tofile(path)
