"""Defensive ``.npy`` / ``.npz`` loading for recordings that may be truncated, empty or garbage.

``np.load`` trusts the ``.npy`` header: a header claiming 10**11 events makes it try to allocate
a terabyte, a truncated file fails with a bare ``ValueError``/``EOFError``/``BadZipFile``. Here the
header's ``shape × itemsize`` is checked against the bytes the file (or zip member) really holds
before anything is allocated, object (pickle) arrays are refused, and every failure is an
:class:`~spikevision.errors.EventFormatError` naming the file, what is wrong and what to do.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from typing import BinaryIO

import numpy as np

from spikevision.errors import EventFormatError

_READ_ERRORS = (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error, KeyError, TypeError)
_FIX = "the file is truncated or corrupt: re-copy or re-create it"


def _read_member(stream: BinaryIO, available: int, where: str) -> np.ndarray:
    """One ``.npy`` payload from ``stream`` holding ``available`` bytes in all."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise EventFormatError(f"{where} holds Python objects (dtype {dtype}); refused: loading "
                               "it would unpickle code. Save plain numeric arrays instead")
    count = math.prod(shape)
    need = count * dtype.itemsize
    have = available - stream.tell()
    if need > have:
        raise EventFormatError(
            f"{where}: its header claims shape {shape} of {dtype} ({need:,} bytes) but only "
            f"{max(have, 0):,} bytes follow the header; {_FIX}")
    data = stream.read(need)
    if len(data) != need:
        raise EventFormatError(f"{where}: expected {need:,} data bytes, read {len(data):,}; {_FIX}")
    arr = np.frombuffer(bytearray(data), dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C")


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """The array of a ``.npy`` file, validated against the file size (see module docstring)."""
    where = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise EventFormatError(f"{where}: the file is empty (0 bytes); re-copy or re-create it")
    try:
        with open(path, "rb") as f:
            return _read_member(f, size, where)
    except EventFormatError:
        raise
    except _READ_ERRORS as err:
        raise EventFormatError(f"{where}: not a readable .npy file ({err}); {_FIX}") from None


def load_npz(path: str | os.PathLike, keys: set[str] | None = None) -> dict[str, np.ndarray]:
    """Arrays of a ``.npz`` archive by name (only ``keys`` when given), validated like
    :func:`load_npy`."""
    where = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise EventFormatError(f"{where}: the file is empty (0 bytes); re-copy or re-create it")
    try:
        with zipfile.ZipFile(path) as archive:
            out: dict[str, np.ndarray] = {}
            for info in archive.infolist():
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                if keys is not None and name not in keys:
                    continue
                with archive.open(info) as member:
                    out[name] = _read_member(member, info.file_size, f"{where} (array '{name}')")
            return out
    except EventFormatError:
        raise
    except _READ_ERRORS as err:
        raise EventFormatError(f"{where}: not a readable .npz archive ({err}); {_FIX}") from None


def npz_keys(path: str | os.PathLike) -> list[str]:
    """The array names in a ``.npz`` archive (nothing is decompressed)."""
    where = os.fspath(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return [n[:-4] if n.endswith(".npy") else n for n in archive.namelist()]
    except _READ_ERRORS as err:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        raise EventFormatError(f"{where}: not a readable .npz archive ({err}; {size} bytes); "
                               f"{_FIX}") from None
