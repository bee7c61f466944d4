"""AER-DAT 2.0 recordings (CIFAR10-DVS, DVS128).

Header: lines starting with ``#``, the first ``#!AER-DAT2.0``; jAER writes ``\\r\\n`` line ends,
some tools ``\\n`` -- both are accepted. The header ends at the first line not starting with ``#``
(as in jAER). Body: big-endian uint32 address, uint32 timestamp (µs), 8 bytes per event.

Address decoding follows the CIFAR10-DVS authors' ``dat2mat.m`` (DVS128, 128×128)::

    x = 127 - ((a & 0xFE) >> 1),  y = (a & 0x7F00) >> 8,  p = 1 - (a & 1)   # ON when bit0 == 0

Timestamps are uint32 and wrap after ~71.6 minutes; the reader unwraps them: wherever a
timestamp drops by more than 2**31 µs from the previous one, 2**32 is added from there on.
The writer stores ``t mod 2**32``, so unwrapped timestamps round-trip.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np

from spikevision.errors import EventFormatError
from spikevision.io.event_array import check_events, make_events

MAGIC = "#!AER-DAT"
BYTES_PER_EVENT = 8
_BODY_DTYPE = np.dtype(">u4")
DEFAULT_HEADER = [
    "#!AER-DAT2.0",
    "# This is a raw AE data file - do not edit",
    "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
    "# Timestamps tick is 1 us",
    "# Written by spikevision (DVS128 addressing, as in CIFAR10-DVS dat2mat.m)",
]


def _read_header(f: BinaryIO, path: str | os.PathLike) -> list[str]:
    """Consume the ``#`` header lines of an open file; leave it positioned at the body."""
    lines: list[str] = []
    while True:
        pos = f.tell()
        if f.read(1) != b"#":
            f.seek(pos)
            break
        line = b"#" + f.readline()
        lines.append(line.rstrip(b"\r\n").decode("utf-8", errors="replace"))
    if not lines or not lines[0].startswith(MAGIC):
        f.seek(0)
        start = f.read(16)
        raise EventFormatError(
            f"{os.fspath(path)} is not an AER-DAT file: it does not start with '{MAGIC}' "
            f"(first bytes: {start!r})"
        )
    version = lines[0][len(MAGIC) :].strip()
    if not version.startswith("2"):
        raise EventFormatError(
            f"{os.fspath(path)} is AER-DAT version {version!r}; only AER-DAT 2.x is supported"
        )
    return lines


def read_aedat2_header(path: str | os.PathLike) -> list[str]:
    """Return the header lines of an AER-DAT 2.0 file (with ``#``, without line ends)."""
    with open(path, "rb") as f:
        return _read_header(f, path)


def read_aedat2(path: str | os.PathLike) -> np.ndarray:
    """Read an AER-DAT 2.0 (DVS128) file into an EVENT_DTYPE array [N] (t in µs, unwrapped)."""
    with open(path, "rb") as f:
        _read_header(f, path)
        offset = f.tell()
        body_len = os.fstat(f.fileno()).st_size - offset
        if body_len % BYTES_PER_EVENT:
            raise EventFormatError(
                f"{os.fspath(path)}: header ok but body truncated/corrupt: {body_len} bytes is "
                f"not a whole number of {BYTES_PER_EVENT}-byte events (body starts at byte "
                f"{offset})"
            )
        body = np.fromfile(f, dtype=_BODY_DTYPE).reshape(-1, 2).astype(np.int64)
    a, t = body[:, 0], body[:, 1]
    if t.size > 1:
        wraps = np.diff(t) < -(2**31)
        if wraps.any():
            t = t.copy()
            t[1:] += (2**32) * np.cumsum(wraps)
    x = 127 - ((a & 0xFE) >> 1)
    y = (a & 0x7F00) >> 8
    p = 1 - (a & 1)
    return make_events(x, y, t, p)


def write_aedat2(
    path: str | os.PathLike, events: np.ndarray, header_lines: list[str] | None = None
) -> None:
    """Write an EVENT_DTYPE array [N] as AER-DAT 2.0 with DVS128 addresses (x, y in 0..127).

    ``header_lines`` (each starting with ``#``, the first with ``#!AER-DAT2``) defaults to a
    minimal jAER-style header; lines are written with ``\\r\\n``. Timestamps are stored mod 2**32.
    """
    check_events(events)
    lines = DEFAULT_HEADER if header_lines is None else list(header_lines)
    if not lines or not lines[0].startswith(MAGIC + "2"):
        raise ValueError(f"the first header line must start with '{MAGIC}2', got {lines[:1]}")
    for line in lines:
        if not line.startswith("#") or "\n" in line or "\r" in line:
            raise ValueError(
                f"header lines must start with '#' and contain no line breaks: {line!r}"
            )
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    t = events["t"].astype(np.int64)
    p = events["p"].astype(np.int64)
    if events.size:
        if x.min() < 0 or x.max() > 127 or y.min() < 0 or y.max() > 127:
            raise EventFormatError(
                f"AER-DAT 2.0 DVS128 addresses need x, y in 0..127; got x in "
                f"[{x.min()}, {x.max()}], y in [{y.min()}, {y.max()}]"
            )
        if t.min() < 0:
            raise EventFormatError(f"AER-DAT timestamps must be >= 0 µs, got {t.min()}")
        if not np.isin(p, (0, 1)).all():
            raise EventFormatError("polarity p must be 0 (OFF) or 1 (ON)")
    body = np.empty((events.size, 2), dtype=_BODY_DTYPE)
    body[:, 0] = ((127 - x) << 1) | (y << 8) | (1 - p)
    body[:, 1] = t & 0xFFFFFFFF
    with open(path, "wb") as f:
        f.write("".join(line + "\r\n" for line in lines).encode("utf-8"))
        f.write(body.tobytes())
