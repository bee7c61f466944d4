"""The event array convention shared by every reader, representation and simulator.

Events are a numpy structured array with fields ``x``, ``y`` (uint16 pixel coordinates),
``t`` (int64, microseconds) and ``p`` (int8 polarity, 0 = OFF, 1 = ON) -- the tonic convention,
so arrays can be passed to tonic and back.
"""

from __future__ import annotations

import numpy as np

EVENT_DTYPE = np.dtype([("x", np.uint16), ("y", np.uint16), ("t", np.int64), ("p", np.int8)])


def make_events(x, y, t, p) -> np.ndarray:
    """Build an event array from four equally long 1-D sequences.

    ``p`` may be given as 0/1 or as -1/+1; it is stored as 0/1.
    """
    x, y, t, p = (np.asarray(a) for a in (x, y, t, p))
    n = len(x)
    if not (len(y) == len(t) == len(p) == n):
        raise ValueError(f"x, y, t, p must have equal lengths, got {len(x)}, {len(y)}, {len(t)}, {len(p)}")
    events = np.empty(n, dtype=EVENT_DTYPE)
    events["x"] = x
    events["y"] = y
    events["t"] = t
    events["p"] = (p > 0).astype(np.int8)
    return events


def empty_events() -> np.ndarray:
    """An event array with no events."""
    return np.empty(0, dtype=EVENT_DTYPE)


def check_events(events: np.ndarray) -> np.ndarray:
    """Return ``events`` if it is a structured array with the x/y/t/p fields, else raise TypeError."""
    if not isinstance(events, np.ndarray) or events.dtype.names is None:
        raise TypeError("events must be a numpy structured array with fields x, y, t, p")
    missing = {"x", "y", "t", "p"} - set(events.dtype.names)
    if missing:
        raise TypeError(f"events array lacks fields {sorted(missing)}; has {events.dtype.names}")
    return events


_UINT16_MAX = np.iinfo(np.uint16).max


def events_from_fields(fields, source: str) -> np.ndarray:
    """An EVENT_DTYPE array from a file's ``x, y, t, p`` arrays (a mapping or a structured
    array), refusing what would otherwise be converted silently into garbage: arrays that are
    not 1-D or differ in length, non-integer or negative coordinates (uint16 would wrap -1 to
    65535), float or NaN timestamps, polarities other than 0/1 or -1/+1. Errors are
    :class:`EventFormatError` naming ``source`` (the file)."""
    from spikevision.errors import EventFormatError

    arrays = {k: np.asarray(fields[k]) for k in ("x", "y", "t", "p")}
    for name, arr in arrays.items():
        if arr.ndim != 1:
            raise EventFormatError(f"{source}: field '{name}' must be 1-D (one value per event), got "
                                   f"shape {arr.shape}")
        if arr.dtype.kind not in "biuf":
            raise EventFormatError(f"{source}: field '{name}' has non-numeric dtype {arr.dtype}; "
                                   "events need integer x, y, t (µs) and 0/1 polarity p")
    lengths = {k: len(a) for k, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise EventFormatError(f"{source}: fields x, y, t, p must have one value per event, got "
                               f"lengths {lengths}")
    for name in ("x", "y"):
        arr = arrays[name]
        if arr.dtype.kind not in "iu":
            raise EventFormatError(f"{source}: pixel coordinate '{name}' has dtype {arr.dtype}; it must "
                                   "be an integer type (cast whole-number values with .astype(np.uint16))")
        if arr.size and (arr.min() < 0 or arr.max() > _UINT16_MAX):
            bad = int(((arr < 0) | (arr > _UINT16_MAX)).sum())
            raise EventFormatError(
                f"{source}: {bad} events have '{name}' outside 0..{_UINT16_MAX} (range "
                f"[{arr.min()}, {arr.max()}]); pixel coordinates must be non-negative row/column indices")
    t = arrays["t"]
    if t.dtype.kind not in "iu":
        nan = int(np.isnan(t).sum()) if t.dtype.kind == "f" else 0
        detail = f", {nan} of them NaN" if nan else ""
        raise EventFormatError(
            f"{source}: timestamps 't' have dtype {t.dtype}{detail}; they must be integer microseconds "
            "(for seconds, store (t * 1e6).round().astype(np.int64))")
    if t.dtype == np.uint64 and t.size and t.max() > np.iinfo(np.int64).max:
        raise EventFormatError(f"{source}: timestamps exceed the int64 range (max {t.max()})")
    p = arrays["p"]
    if p.size:
        ok = (p == 0) | (p == 1) | (p == -1)
        if not ok.all():
            found = np.unique(p[~ok])[:5].tolist()
            raise EventFormatError(f"{source}: {int((~ok).sum())} polarities 'p' are not 0/1 or -1/+1 "
                                   f"(e.g. {found})")
    return make_events(arrays["x"], arrays["y"], t, p)
