"""Helpers shared by the event representations (private to ``spikevision.events``).

numpy side: input checks, chunked iteration with reusable per-thread buffers, and the stream's
time span. The chunk loops keep their temporaries in the CPU cache and reuse them rather than
allocating (fresh memory costs page faults on every call), and they accumulate with
``np.add.at`` on an int64 index and a weight array of the output's dtype, which numpy (>= 1.25)
runs on a fast indexed loop.

torch side: batch checks (one device sync), per-sample time ranges, and ``events_to_tensors``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np
import torch

from spikevision.io.event_array import check_events

CHUNK = 1 << 16  # events per chunk of the numpy representations
_T = TypeVar("_T")


class _SpanViolation(Exception):
    """A chunk holds a timestamp outside the span guessed from the first and last event."""


def check_sensor_size(height: int, width: int) -> None:
    """Raise ValueError unless the sensor size is positive."""
    if height < 1 or width < 1:
        raise ValueError(f"sensor size must be positive, got height={height}, width={width}")


def check_num_bins(num_bins: int) -> int:
    """Return ``num_bins`` as an int, raising ValueError unless it is at least 1."""
    if int(num_bins) != num_bins or num_bins < 1:
        raise ValueError(f"num_bins must be a positive integer, got {num_bins!r}")
    return int(num_bins)


def _outside_sensor(x_lo: int, x_hi: int, y_lo: int, y_hi: int, height: int, width: int):
    return ValueError(
        f"events lie outside the {width}x{height} (width x height) sensor: x spans "
        f"[{x_lo}, {x_hi}], y spans [{y_lo}, {y_hi}]; pass the recording's sensor size "
        "or crop the events first"
    )


class ChunkWorkspace:
    """Reusable ``CHUNK``-sized buffers, so the chunk loops allocate nothing.

    Fresh memory costs page faults on every call; one workspace per thread (see
    :func:`workspace`) keeps a few MiB of buffers warm instead.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, dtype: type, n: int) -> np.ndarray:
        """A view of ``n`` (at most ``CHUNK``) elements of the buffer ``name``."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.dtype != dtype or len(buffer) < n:
            buffer = self._buffers[name] = np.empty(max(n, CHUNK), dtype=dtype)
        return buffer[:n]


_local = threading.local()


def workspace() -> ChunkWorkspace:
    """This thread's :class:`ChunkWorkspace`."""
    ws = getattr(_local, "workspace", None)
    if ws is None:
        ws = _local.workspace = ChunkWorkspace()
    return ws


def _load_coordinate(values, limit, out, events, height, width) -> None:
    """Copy ``values`` into ``out`` (int64), raising ValueError unless all lie in ``[0, limit)``."""
    np.copyto(out, values)
    signed = np.issubdtype(values.dtype, np.signedinteger)
    if int(out.max()) >= limit or (signed and int(out.min()) < 0):
        x, y = events["x"], events["y"]
        raise _outside_sensor(int(x.min()), int(x.max()), int(y.min()), int(y.max()), height, width)


def pixel_index(
    chunk: np.ndarray,
    events: np.ndarray,
    height: int,
    width: int,
    out: np.ndarray,
    work: np.ndarray,
) -> np.ndarray:
    """Write ``y * width + x`` of a non-empty chunk of ``events`` into ``out`` (int64).

    ``work`` is an int64 scratch buffer of the same length. Raises ValueError for events outside
    the sensor (the message describes the whole stream).
    """
    _load_coordinate(chunk["y"], height, out, events, height, width)
    out *= width
    _load_coordinate(chunk["x"], width, work, events, height, width)
    out += work
    return out


def check_span(t_lo: int, t_hi: int, t0: int, span: int, verify_span: bool) -> None:
    """Raise ``_SpanViolation`` if ``verify_span`` and ``[t_lo, t_hi]`` leaves the span."""
    if verify_span and (t_lo < t0 or t_hi > t0 + span):
        raise _SpanViolation


def chunk_bounds(n: int, starts: Sequence[int] = ()) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of at most ``CHUNK`` of ``n`` events.

    Chunks also break at each index of ``starts`` (sorted; out-of-range entries are ignored).
    """
    cuts = sorted({0, n, *(s for s in starts if 0 < s < n)})
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        for start in range(lo, hi, CHUNK):
            yield start, min(start + CHUNK, hi)


def with_time_span(events: np.ndarray, accumulate: Callable[[int, int, bool], _T]) -> _T:
    """Run ``accumulate(t0, span, verify_span)`` with the stream's first timestamp and span.

    Tries the first and last event as the extremes (true for time-sorted streams, read without
    a pass over the data); ``accumulate`` checks each chunk with :func:`check_span` when
    ``verify_span`` is set, and a violation reruns it with the exact min/max.
    """
    t = events["t"]
    first, last = int(t[0]), int(t[-1])
    if first <= last:
        try:
            return accumulate(first, last - first, True)
        except _SpanViolation:
            pass
    t0 = int(t.min())
    return accumulate(t0, int(t.max()) - t0, False)


def check_batch_torch(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_index: torch.Tensor,
    batch_size: int,
    height: int,
    width: int,
) -> None:
    """Raise ValueError for events outside the sensor or the batch (one device sync)."""
    check_sensor_size(height, width)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if not (x.shape == y.shape == batch_index.shape):
        raise ValueError(
            f"x, y and batch_index must have equal lengths, got {x.numel()}, {y.numel()}, "
            f"{batch_index.numel()}"
        )
    if x.numel() == 0:
        return
    x_lo, x_hi, y_lo, y_hi, b_lo, b_hi = torch.stack(
        [*torch.aminmax(x), *torch.aminmax(y), *torch.aminmax(batch_index)]
    ).tolist()
    if x_lo < 0 or y_lo < 0 or x_hi >= width or y_hi >= height:
        raise _outside_sensor(x_lo, x_hi, y_lo, y_hi, height, width)
    if b_lo < 0 or b_hi >= batch_size:
        raise ValueError(f"batch_index spans [{b_lo}, {b_hi}], outside [0, {batch_size})")


def as_long_inputs(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """Cast 1-D index-like tensors to int64 (no copy when they already are)."""
    return [torch.as_tensor(a).reshape(-1).long() for a in tensors]


def time_range_torch(
    t: torch.Tensor, batch_index: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample first timestamp and span ``t1 - t0``, each ``[batch_size]`` int64.

    Samples without events get 0 for both.
    """
    t0 = torch.zeros(batch_size, dtype=torch.int64, device=t.device)
    t1 = torch.zeros(batch_size, dtype=torch.int64, device=t.device)
    t0.scatter_reduce_(0, batch_index, t, reduce="amin", include_self=False)
    t1.scatter_reduce_(0, batch_index, t, reduce="amax", include_self=False)
    return t0, t1.sub_(t0)


def events_to_tensors(
    events_list: Sequence[np.ndarray], device: torch.device | str | None = None
) -> dict[str, torch.Tensor]:
    """Concatenate a list of event arrays into int64 tensors for the batched representations.

    Returns:
        dict with 1-D int64 tensors ``x``, ``y``, ``t`` (µs), ``p`` (as stored, 0/1) and
        ``batch_index`` (the position of each event's array in ``events_list``), all of length
        ``sum(len(e) for e in events_list)``.
    """
    for events in events_list:
        check_events(events)
    lengths = np.array([len(e) for e in events_list], dtype=np.int64)
    out: dict[str, torch.Tensor] = {}
    for name in ("x", "y", "t", "p"):
        parts = [np.asarray(e[name], dtype=np.int64) for e in events_list]
        merged = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        out[name] = torch.from_numpy(merged).to(device)
    batch_index = np.repeat(np.arange(len(events_list), dtype=np.int64), lengths)
    out["batch_index"] = torch.from_numpy(batch_index).to(device)
    return out
