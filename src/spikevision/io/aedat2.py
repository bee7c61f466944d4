"""AER-DAT 2.0 recordings (CIFAR10-DVS, DVS128).

Header: lines starting with ``#``, the first ``#!AER-DAT2.0``; jAER writes ``\\r\\n`` line ends,
some tools ``\\n`` -- both are accepted. The header ends at the first line not starting with ``#``
(as in jAER) or holding control bytes (a DAVIS body may start with the byte ``#``).
Body: big-endian uint32 address, uint32 timestamp (µs), 8 bytes per event.

The ``# AEChip:`` header line names the jAER chip class, which fixes the address layout:

- DVS128 (``ch.unizh.ini.jaer.chip.retina.DVS128``; also assumed when the header names no chip,
  as in CIFAR10-DVS), 128×128, as the CIFAR10-DVS authors' ``dat2mat.m``::

      x = 127 - ((a & 0xFE) >> 1),  y_up = (a & 0x7F00) >> 8,  p = 1 - (a & 1)  # ON when bit0 == 0

- DAVIS346 (``eu.seebetter.ini.chips.davis.Davis346*``, 346×260) and DAVIS240
  (``...DAVIS240*``, 240×180), as jAER's ``DavisChip``: bit 31 set = APS/IMU sample (skipped),
  bits 10-11 == 0b01 = external-input event (skipped), otherwise a DVS event with
  ``x = W - 1 - ((a >> 12) & 0x3FF)``, ``y_up = (a >> 22) & 0x1FF``, ``p = (a >> 11) & 1``.

Other chips are refused with a message naming them. jAER's ``y_up`` points **up** (its display
origin is the lower-left corner): decoded that way and drawn with row = y, real recordings show
people head-down. The reader returns ``y = H - 1 - y_up``, a top-down row index like every other
reader here; the writer inverts it, so round trips hold.

Timestamps are uint32 and wrap after ~71.6 minutes; the reader unwraps them: wherever a
timestamp drops by more than 2**31 µs from the previous one, 2**32 is added from there on.
The writer stores ``t mod 2**32``, so unwrapped timestamps round-trip.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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
    "# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128",
]
CHIP_PREFIX = "# AEChip:"
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control bytes: never in a header line


@dataclass(frozen=True)
class AedatChip:
    """The sensor an AER-DAT 2.0 file was recorded with: its jAER class, layout and size."""

    name: str  # e.g. 'DAVIS346'
    jaer_class: str  # as in the header ('' when the header names none)
    layout: str  # 'dvs128' or 'davis'
    height: int
    width: int


_CHIPS = (("dvs128", "DVS128", "dvs128", 128, 128), ("davis346", "DAVIS346", "davis", 260, 346),
          ("davis240", "DAVIS240", "davis", 180, 240))
SUPPORTED_CHIPS = ("DVS128 (ch.unizh.ini.jaer.chip.retina.DVS128), DAVIS346 (...davis.Davis346*), "
                   "DAVIS240 (...davis.DAVIS240*)")


def chip_from_header(lines: list[str], path: str | os.PathLike = "") -> AedatChip:
    """The chip named by the ``# AEChip:`` line (DVS128 when there is none); EventFormatError
    naming the chip when its address layout is not supported."""
    named = [ln[len(CHIP_PREFIX):].strip() for ln in lines if ln.startswith(CHIP_PREFIX)]
    if not named:
        return AedatChip("DVS128", "", "dvs128", 128, 128)
    jaer_class = named[-1]
    simple = jaer_class.rsplit(".", 1)[-1].lower()
    for prefix, name, layout, height, width in _CHIPS:
        if (simple == prefix) if prefix == "dvs128" else simple.startswith(prefix):
            return AedatChip(name, jaer_class, layout, height, width)
    where = f"{os.fspath(path)}: " if path else ""
    raise EventFormatError(
        f"{where}AER-DAT 2.0 file recorded with chip '{jaer_class}' (its '# AEChip:' header line), whose "
        f"address layout spikevision does not decode; supported: {SUPPORTED_CHIPS}. Convert it "
        "to .npy/.npz events (x, y, t, p) with the chip's own tools")


def read_aedat2_chip(path: str | os.PathLike) -> AedatChip:
    """The sensor (layout and size) of an AER-DAT 2.0 file, from its header."""
    return chip_from_header(read_aedat2_header(path), path)


def _read_header(f: BinaryIO, path: str | os.PathLike) -> list[str]:
    """Consume the ``#`` header lines of an open file; leave it positioned at the body."""
    lines: list[str] = []
    while True:
        pos = f.tell()
        if f.read(1) != b"#":
            f.seek(pos)
            break
        line = b"#" + f.readline()
        if _BINARY.search(line.rstrip(b"\r\n")):  # a body whose first address byte is 0x23 ('#')
            f.seek(pos)
            break
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


def aedat2_body_bytes(path: str | os.PathLike) -> int:
    """Bytes after the header of an AER-DAT 2.0 file (0: a header without events); reads only
    the header."""
    with open(path, "rb") as f:
        _read_header(f, path)
        return os.fstat(f.fileno()).st_size - f.tell()


def read_aedat2(path: str | os.PathLike) -> np.ndarray:
    """Read an AER-DAT 2.0 file (DVS128 / DAVIS346 / DAVIS240 per its ``# AEChip:`` line) into
    an EVENT_DTYPE array [N] (y a top-down row index, t in µs, unwrapped)."""
    with open(path, "rb") as f:
        chip = chip_from_header(_read_header(f, path), path)
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
    if chip.layout == "dvs128":
        x = 127 - ((a & 0xFE) >> 1)
        y = 127 - ((a & 0x7F00) >> 8)
        p = 1 - (a & 1)
        return make_events(x, y, t, p)
    dvs = ((a & 0x80000000) == 0) & ((a & 0xC00) != 0x400)  # not APS/IMU, not external input
    a, t = a[dvs], t[dvs]
    x_raw, y_up = (a >> 12) & 0x3FF, (a >> 22) & 0x1FF
    outside = (x_raw >= chip.width) | (y_up >= chip.height)
    if outside.any():
        raise EventFormatError(
            f"{os.fspath(path)}: {int(outside.sum())} DVS events have addresses outside the "
            f"{chip.width}×{chip.height} array of the {chip.name} named in its header (raw x up to "
            f"{int(x_raw.max())}, y up to {int(y_up.max())}): the '# AEChip:' line does not match the data")
    return make_events(chip.width - 1 - x_raw, chip.height - 1 - y_up, t, (a >> 11) & 1)


def write_aedat2(
    path: str | os.PathLike, events: np.ndarray, header_lines: list[str] | None = None
) -> None:
    """Write an EVENT_DTYPE array [N] (y a top-down row) as AER-DAT 2.0 with the addresses of
    the chip named in the header's ``# AEChip:`` line (DVS128, x, y in 0..127, when none).

    ``header_lines`` (each starting with ``#``, the first with ``#!AER-DAT2``) defaults to a
    minimal jAER-style DVS128 header; lines are written with ``\\r\\n``. Timestamps are stored
    mod 2**32.
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
    chip = chip_from_header(lines)
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    t = events["t"].astype(np.int64)
    p = events["p"].astype(np.int64)
    if events.size:
        if x.min() < 0 or x.max() >= chip.width or y.min() < 0 or y.max() >= chip.height:
            raise EventFormatError(
                f"AER-DAT 2.0 {chip.name} addresses need x in 0..{chip.width - 1}, y in "
                f"0..{chip.height - 1}; got x in [{x.min()}, {x.max()}], y in [{y.min()}, {y.max()}]"
            )
        if t.min() < 0:
            raise EventFormatError(f"AER-DAT timestamps must be >= 0 µs, got {t.min()}")
        if not np.isin(p, (0, 1)).all():
            raise EventFormatError("polarity p must be 0 (OFF) or 1 (ON)")
    body = np.empty((events.size, 2), dtype=_BODY_DTYPE)
    if chip.layout == "dvs128":
        body[:, 0] = ((127 - x) << 1) | ((127 - y) << 8) | (1 - p)
    else:
        body[:, 0] = ((chip.width - 1 - x) << 12) | ((chip.height - 1 - y) << 22) | (p << 11)
    body[:, 1] = t & 0xFFFFFFFF
    with open(path, "wb") as f:
        f.write("".join(line + "\r\n" for line in lines).encode("utf-8"))
        f.write(body.tobytes())
