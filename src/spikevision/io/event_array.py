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
