"""E2VID voxel grid: events spread bilinearly over ``num_bins`` time bins.

Each event's timestamp is mapped to ``t* = (num_bins - 1) * (t - t0) / (t1 - t0)`` (float64,
``t0``/``t1`` the smallest/largest timestamp), and the event adds ``p * (1 - |t* - b|)`` to the
two nearest bins ``b = floor(t*)`` and ``floor(t*) + 1`` with ``p`` = -1 (OFF) or +1 (ON). Each
event's two weights sum to 1, so the grid of ON-only events sums to their count and the last
event is kept (tonic 1.7's ``ToVoxelGrid`` scales by ``num_bins`` instead, and so drops the
last event and part of the last bin's mass). All-equal timestamps give ``t* = 0`` (everything in
bin 0, no division by zero); an empty stream gives zeros.

``to_voxel_grid`` works on one numpy event array; ``to_voxel_grid_torch`` grids a batch of
concatenated events on any torch device in float64 and matches ``to_voxel_grid`` per sample.
"""

from __future__ import annotations

import numpy as np
import torch

from spikevision.events._common import (
    as_long_inputs,
    check_batch_torch,
    check_num_bins,
    check_sensor_size,
    check_span,
    chunk_bounds,
    pixel_index,
    time_range_torch,
    with_time_span,
    workspace,
)
from spikevision.io.event_array import check_events

__all__ = ["to_voxel_grid", "to_voxel_grid_torch"]


def _normalize_numpy(grid: np.ndarray) -> np.ndarray:
    """E2VID normalisation in place: nonzero entries to zero mean, unit (population) std."""
    nonzero = grid != 0
    count = np.count_nonzero(nonzero)
    if count == 0:
        return grid
    mean = grid.sum() / count
    std = np.sqrt(max(float(np.square(grid).sum()) / count - mean * mean, 0.0))
    if std == 0:
        return grid
    grid -= mean
    grid /= std
    grid *= nonzero
    return grid


def to_voxel_grid(
    events: np.ndarray, num_bins: int, height: int, width: int, normalize: bool = False
) -> np.ndarray:
    """Bilinear-in-time voxel grid of one event stream.

    Args:
        events: structured event array (fields x, y, t in µs, p with 0 = OFF, 1 = ON); need not
            be sorted.
        num_bins: number of time bins ``B``; ``B == 1`` puts everything in bin 0.
        height, width: sensor size in pixels.
        normalize: apply E2VID's normalisation (nonzero entries shifted and scaled to mean 0 and
            population std 1; skipped when the grid is all zero or its std is 0).

    Returns:
        float32 array ``[B, height, width]`` (accumulated in float64, then cast). Without
        ``normalize`` its sum is ``#ON - #OFF`` up to rounding.

    Raises:
        ValueError: an event lies outside the sensor, or ``num_bins < 1``.
    """
    check_events(events)
    num_bins = check_num_bins(num_bins)
    check_sensor_size(height, width)
    plane = height * width

    def accumulate(t0: int, span: int, verify_span: bool) -> np.ndarray:
        # one spare bin catches the (zero) upper weight of events at t1, dropped at the end
        grid = np.zeros((num_bins + 1) * plane, dtype=np.float64)
        ws = workspace()
        for start, stop in chunk_bounds(len(events)):
            chunk, n = events[start:stop], stop - start
            times = ws.get("times", np.int64, n)
            np.copyto(times, chunk["t"])
            check_span(int(times.min()), int(times.max()), t0, span, verify_span)
            pixel, work = ws.get("index", np.int64, n), ws.get("work", np.int64, n)
            pixel_index(chunk, events, height, width, out=pixel, work=work)
            on = np.greater(chunk["p"], 0, out=ws.get("on", np.bool_, n))
            polarity = np.multiply(on, 2.0, out=ws.get("polarity", np.float64, n))
            polarity -= 1.0
            if span == 0 or num_bins == 1:
                np.add.at(grid, pixel, polarity)
                continue
            times -= t0
            t_star = ws.get("t_star", np.float64, n)
            np.copyto(t_star, times)
            t_star *= num_bins - 1
            t_star /= span
            lower = work
            np.copyto(lower, t_star, casting="unsafe")  # floor, as t_star >= 0
            t_star -= lower  # fractional part
            upper_weight = t_star
            upper_weight *= polarity
            lower_weight = polarity
            lower_weight -= upper_weight  # polarity * (1 - fraction)
            lower *= plane
            lower += pixel
            np.add.at(grid, lower, lower_weight)
            lower += plane
            np.add.at(grid, lower, upper_weight)
        return grid[: num_bins * plane]

    if len(events) == 0:
        return np.zeros((num_bins, height, width), dtype=np.float32)
    grid = with_time_span(events, accumulate)
    if normalize:
        grid = _normalize_numpy(grid)
    return grid.astype(np.float32).reshape(num_bins, height, width)


def _normalize_torch(grid: torch.Tensor) -> torch.Tensor:
    """Per-sample E2VID normalisation of a float64 ``[B, ...]`` tensor."""
    flat = grid.reshape(grid.shape[0], -1)
    nonzero = flat != 0
    count = nonzero.sum(dim=1, keepdim=True).to(flat.dtype)
    safe_count = count.clamp_min(1)
    mean = flat.sum(dim=1, keepdim=True) / safe_count
    var = (flat.square().sum(dim=1, keepdim=True) / safe_count - mean.square()).clamp_min(0)
    std = var.sqrt()
    apply = (count > 0) & (std > 0)
    normalized = (flat - mean) / torch.where(apply, std, torch.ones_like(std)) * nonzero
    return torch.where(apply, normalized, flat).reshape(grid.shape)


def to_voxel_grid_torch(
    x: torch.Tensor,
    y: torch.Tensor,
    t: torch.Tensor,
    p: torch.Tensor,
    batch_index: torch.Tensor,
    batch_size: int,
    num_bins: int,
    height: int,
    width: int,
    normalize: bool = False,
) -> torch.Tensor:
    """Batched :func:`to_voxel_grid` on the device of the inputs (float64 accumulation).

    Args:
        x, y, t, p, batch_index: 1-D tensors of equal length holding the events of all samples
            (``t`` in µs, ``p`` 0/1 or -1/+1, ``batch_index`` in ``[0, batch_size)``); see
            :func:`spikevision.events.events_to_tensors`.
        batch_size: number of samples ``B`` (samples without events give zeros).
        num_bins, height, width, normalize: as in :func:`to_voxel_grid` (normalisation is per
            sample).

    Returns:
        float32 tensor ``[B, num_bins, height, width]``.
    """
    num_bins = check_num_bins(num_bins)
    x, y, t, p, batch_index = as_long_inputs(x, y, t, p, batch_index)
    check_batch_torch(x, y, batch_index, batch_size, height, width)
    plane = height * width
    size = batch_size * num_bins * plane
    # one spare plane catches the (zero) upper weight of the last sample's events at its t1
    grid = torch.zeros(size + plane, dtype=torch.float64, device=x.device)
    polarity = (p > 0).to(torch.float64).mul_(2.0).sub_(1.0)
    index = batch_index * (num_bins * plane)
    index += y * width
    index += x
    if num_bins > 1 and t.numel() > 0:
        t0, span = time_range_torch(t, batch_index, batch_size)
        t_star = (t - t0[batch_index]).to(torch.float64)  # 0 for zero-span samples
        t_star *= num_bins - 1
        t_star /= span.clamp_min_(1)[batch_index].to(torch.float64)
        lower = t_star.long()  # floor, as t_star >= 0
        t_star -= lower  # fractional part
        index += lower * plane
        grid.index_add_(0, index, polarity * (1.0 - t_star))
        # an event in a sample's last bin has fraction 0; its zero weight may spill harmlessly
        grid.index_add_(0, index.add_(plane), polarity.mul_(t_star))
    else:
        grid.index_add_(0, index, polarity)
    grid = grid[:size]
    grid = grid.reshape(batch_size, num_bins, height, width)
    if normalize:
        grid = _normalize_torch(grid)
    return grid.to(torch.float32)
