"""ATIS ``.bin`` recordings (N-MNIST, N-Caltech101).

No header; 5 bytes per event::

    b0 = x, b1 = y, b2 = (p << 7) | ((t >> 16) & 0x7F), b3 = (t >> 8) & 0xFF, b4 = t & 0xFF

with ``t`` a 23-bit timestamp in microseconds. Decoding matches tonic 1.7.0's
``read_mnist_file`` exactly, including its (Orchard's) overflow convention: an event with
``y == 240`` is a timestamp-overflow marker, not a pixel; it adds ``2**13`` µs to its own and every
later timestamp and is then dropped. (No real sensor row is 240: N-MNIST is 34×34, N-Caltech101
at most 240×180.) Events are kept in file order.
"""

from __future__ import annotations

import os

import numpy as np

from spikevision.errors import EventFormatError
from spikevision.io.event_array import check_events, make_events

BYTES_PER_EVENT = 5
OVERFLOW_Y = 240
OVERFLOW_INCREMENT_US = 2**13
MAX_T_US = 2**23


def read_atis_bin(path: str | os.PathLike) -> np.ndarray:
    """Read an ATIS ``.bin`` file into an EVENT_DTYPE array of shape [N] (t in µs).

    An empty file gives an empty array. A size that is not a multiple of 5 raises EventFormatError.
    """
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % BYTES_PER_EVENT:
        raise EventFormatError(
            f"{os.fspath(path)}: ATIS .bin file is truncated: {raw.size} bytes is not a whole "
            f"number of {BYTES_PER_EVENT}-byte events ({raw.size % BYTES_PER_EVENT} stray bytes)"
        )
    b = raw.reshape(-1, BYTES_PER_EVENT).astype(np.int64)
    x, y = b[:, 0], b[:, 1]
    p = b[:, 2] >> 7
    t = ((b[:, 2] & 0x7F) << 16) | (b[:, 3] << 8) | b[:, 4]
    overflow = y == OVERFLOW_Y
    if overflow.any():
        t = t + OVERFLOW_INCREMENT_US * np.cumsum(overflow)
        keep = ~overflow
        x, y, t, p = x[keep], y[keep], t[keep], p[keep]
    return make_events(x, y, t, p)


def write_atis_bin(path: str | os.PathLike, events: np.ndarray) -> None:
    """Write an EVENT_DTYPE array [N] as an ATIS ``.bin`` file (5 bytes per event).

    Requires 0 <= x, y <= 255, y != 240 (the overflow marker) and 0 <= t < 2**23 µs.
    """
    check_events(events)
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    t = events["t"].astype(np.int64)
    p = events["p"].astype(np.int64)
    if events.size:
        if x.min() < 0 or x.max() > 255 or y.min() < 0 or y.max() > 255:
            raise EventFormatError(
                f"ATIS .bin stores x and y in one byte each; got x in [{x.min()}, {x.max()}], "
                f"y in [{y.min()}, {y.max()}] (must be 0..255)"
            )
        if (y == OVERFLOW_Y).any():
            raise EventFormatError(
                f"ATIS .bin reserves y == {OVERFLOW_Y} as a timestamp-overflow marker; "
                f"{int((y == OVERFLOW_Y).sum())} events have y == {OVERFLOW_Y}"
            )
        if t.min() < 0 or t.max() >= MAX_T_US:
            raise EventFormatError(
                f"ATIS .bin timestamps are 23-bit: t must be in [0, {MAX_T_US}) µs, "
                f"got [{t.min()}, {t.max()}]"
            )
        if not np.isin(p, (0, 1)).all():
            raise EventFormatError("polarity p must be 0 (OFF) or 1 (ON)")
    out = np.empty((events.size, BYTES_PER_EVENT), dtype=np.uint8)
    out[:, 0] = x
    out[:, 1] = y
    out[:, 2] = (p << 7) | ((t >> 16) & 0x7F)
    out[:, 3] = (t >> 8) & 0xFF
    out[:, 4] = t & 0xFF
    out.tofile(path)
