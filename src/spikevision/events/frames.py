"""Event frames: per-polarity event counts in ``num_bins`` time bins of equal duration.

The stream's time span ``[t0, t1]`` (its smallest and largest timestamp) is cut into ``num_bins``
bins of equal duration; an event at time ``t`` goes to bin
``min(num_bins * (t - t0) // (t1 - t0), num_bins - 1)`` computed in exact int64 arithmetic, so
every event lands in exactly one bin (the last event included). A stream whose timestamps are all
equal puts every event in bin 0; an empty stream gives zeros. Channel 0 counts OFF events
(``p <= 0``), channel 1 ON events (``p > 0``).

``to_frames`` works on one numpy event array; ``to_frames_torch`` bins a whole batch of
concatenated events on any torch device with the same integer arithmetic, so each sample of its
output equals ``to_frames`` on that sample. ``events_to_tensors`` builds its inputs from a list of
event arrays (for a collate function).

The numpy path walks the events in chunks (see ``_common``); for time-sorted streams it cuts
the chunks at bin boundaries, so most chunks fall in a single bin and skip the per-event
division.
"""

from __future__ import annotations

import bisect

import numpy as np
import torch

from spikevision.events._common import (
    as_long_inputs,
    check_batch_torch,
    check_num_bins,
    check_sensor_size,
    check_span,
    chunk_bounds,
    events_to_tensors,
    pixel_index,
    time_range_torch,
    with_time_span,
    workspace,
)
from spikevision.io.event_array import check_events

__all__ = ["to_frames", "to_frames_torch", "events_to_tensors"]


def _bin_of(dt: int, span: int, num_bins: int) -> int:
    return 0 if span == 0 else min(num_bins * dt // span, num_bins - 1)


def _bin_starts(t: np.ndarray, t0: int, span: int, num_bins: int) -> list[int]:
    """Index of the first event of bins 1..num_bins-1 if ``t`` is sorted (a hint otherwise).

    Bin ``k`` starts at the first ``t`` with ``num_bins * (t - t0) >= k * span``.
    """
    if span == 0 or num_bins == 1:
        return []
    edges = [t0 - (-k * span // num_bins) for k in range(1, num_bins)]
    if num_bins <= 64:  # a few bisections on the (strided) field beat copying it
        return [bisect.bisect_left(t, edge) for edge in edges]
    return np.searchsorted(t, edges).tolist()


def to_frames(events: np.ndarray, num_bins: int, height: int, width: int) -> np.ndarray:
    """Count events per time bin, polarity and pixel.

    Args:
        events: structured event array (fields x, y, t in µs, p with 0 = OFF, 1 = ON); need not
            be sorted (sorted streams take a faster path).
        num_bins: number of equal-duration time bins spanning the first to the last timestamp.
        height, width: sensor size in pixels.

    Returns:
        float32 array ``[num_bins, 2, height, width]`` of event counts; channel 0 = OFF, 1 = ON.
        Its sum equals ``len(events)``.

    Raises:
        ValueError: an event lies outside the sensor, or ``num_bins < 1``.
    """
    check_events(events)
    num_bins = check_num_bins(num_bins)
    check_sensor_size(height, width)
    plane = height * width

    def accumulate(t0: int, span: int, verify_span: bool) -> np.ndarray:
        out = np.zeros((num_bins, 2 * plane), dtype=np.float32)
        ws = workspace()
        t = events["t"]
        for start, stop in chunk_bounds(len(events), _bin_starts(t, t0, span, num_bins)):
            chunk, n = events[start:stop], stop - start
            times = ws.get("times", np.int64, n)
            np.copyto(times, chunk["t"])
            t_lo, t_hi = int(times.min()), int(times.max())
            check_span(t_lo, t_hi, t0, span, verify_span)
            index, work = ws.get("index", np.int64, n), ws.get("work", np.int64, n)
            pixel_index(chunk, events, height, width, out=index, work=work)
            on = np.greater(chunk["p"], 0, out=ws.get("on", np.bool_, n))
            index += np.multiply(on, plane, out=work)  # channel offset
            ones = ws.get("ones_f32", np.float32, n)
            ones.fill(1.0)
            first = _bin_of(t_lo - t0, span, num_bins)
            if first == _bin_of(t_hi - t0, span, num_bins):  # the whole chunk is in one bin
                np.add.at(out[first], index, ones)
                continue
            times -= t0
            times *= num_bins
            times //= span
            np.minimum(times, num_bins - 1, out=times)
            times *= 2 * plane
            index += times
            np.add.at(out.reshape(-1), index, ones)
        return out

    if len(events) == 0:
        return np.zeros((num_bins, 2, height, width), dtype=np.float32)
    return with_time_span(events, accumulate).reshape(num_bins, 2, height, width)


def time_bins_torch(
    t: torch.Tensor, batch_index: torch.Tensor, batch_size: int, num_bins: int
) -> torch.Tensor:
    """Integer time bin of each event (int64), per sample exactly as in :func:`to_frames`."""
    if num_bins == 1 or t.numel() == 0:
        return torch.zeros_like(t)
    t0, span = time_range_torch(t, batch_index, batch_size)
    bins = t - t0[batch_index]  # 0 for every event of a zero-span sample
    bins *= num_bins
    bins = bins.div_(span.clamp_min_(1)[batch_index], rounding_mode="floor")
    return bins.clamp_max_(num_bins - 1)


def to_frames_torch(
    x: torch.Tensor,
    y: torch.Tensor,
    t: torch.Tensor,
    p: torch.Tensor,
    batch_index: torch.Tensor,
    batch_size: int,
    num_bins: int,
    height: int,
    width: int,
) -> torch.Tensor:
    """Batched :func:`to_frames` on the device of the inputs.

    Args:
        x, y, t, p, batch_index: 1-D tensors of equal length ``N`` holding the events of all
            samples (``t`` in µs, ``p`` 0/1 or -1/+1, ``batch_index`` in ``[0, batch_size)``);
            see :func:`events_to_tensors`. Events need not be sorted.
        batch_size: number of samples ``B`` (samples without events give zeros).
        num_bins, height, width: as in :func:`to_frames`.

    Returns:
        float32 tensor ``[B, num_bins, 2, height, width]``; sample ``b`` equals
        ``to_frames(events_b, ...)`` exactly.
    """
    num_bins = check_num_bins(num_bins)
    x, y, t, p, batch_index = as_long_inputs(x, y, t, p, batch_index)
    check_batch_torch(x, y, batch_index, batch_size, height, width)
    index = time_bins_torch(t, batch_index, batch_size, num_bins)
    index += batch_index * num_bins
    index *= 2
    index += p > 0
    index *= height
    index += y
    index *= width
    index += x
    size = batch_size * num_bins * 2 * height * width
    counts = torch.zeros(size, dtype=torch.float32, device=index.device)
    # float32 sums of ones are exact (and order-independent) up to 2**24 events per cell
    counts.index_add_(0, index, torch.ones_like(index, dtype=torch.float32))
    return counts.reshape(batch_size, num_bins, 2, height, width)
