"""Texture from interval (TFI, the "interval method"): inverse inter-spike interval.

A spike camera pixel integrates light and fires when the integral crosses a threshold, so the
interval between its spikes is inversely proportional to intensity. At frame ``center`` each
pixel's intensity is ``1 / (t_plus - t_minus)`` in spikes per frame, where ``t_minus`` is its
last spike at or before ``center`` and ``t_plus`` its first spike strictly after ``center``.
Multiply by 255 for 8-bit display (the spikling seed's convention); values lie in ``(0, 1]``.

Missing spikes default to the bounds of the searched window (SpikeCLIP's ``middleTFI``
convention), which caps dark pixels at ``1 / (2 * window)`` instead of dividing by zero:

- ``window=w``: ``t_minus`` is searched in ``[center - w + 1, center]`` and defaults to
  ``center - w``; ``t_plus`` is searched in ``[center + 1, center + w]`` and defaults to
  ``center + w`` (a spike at frame 0 counts, unlike SpikeCLIP's implementation).
- ``window=None``: the whole stream is searched; the defaults are the frames just outside it,
  ``-1`` and ``N``. (The spikling seed defaults to ``0`` and ``N - 1``, one frame less on each
  missing side; ``benchmarks/bench_spikes.py`` accounts for this.)
"""

from __future__ import annotations

import numpy as np

from spikevision.spikes.window import check_spikes

__all__ = ["tfi", "tfi_video"]

_MAX_BLOCK = 255  # frames per block: block positions 1..255 fit in uint8
_FIRST_BLOCK = 32  # searches start small and double, stopping once every pixel is resolved


def _ranked(block: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """``ranks[k]`` where frame ``k`` of ``block`` has a spike (nonzero), else 0 (uint8)."""
    if block.dtype == np.bool_:
        return np.multiply(block.view(np.uint8), ranks)
    binary = np.not_equal(block, 0).view(np.uint8)
    return np.multiply(binary, ranks, out=binary)


def _nearest_spike(spikes: np.ndarray, start: int, stop: int, backward: bool) -> np.ndarray:
    """Per pixel, the spike in frames ``[start, stop)`` nearest to ``stop - 1`` (``backward``)
    or to ``start`` (forward), as an int64 frame index; -1 where there is none."""
    found = np.full(spikes.shape[1:], -1, dtype=np.int64)
    size, done = _FIRST_BLOCK, start
    while done < stop:  # blocks of frames moving away from the reference frame
        length = min(size, _MAX_BLOCK, stop - done)
        if backward:
            lo = stop - (done - start) - length
            ranks = np.arange(1, length + 1, dtype=np.uint8)  # later frame, higher rank
        else:
            lo = done
            ranks = np.arange(length, 0, -1, dtype=np.uint8)  # earlier frame, higher rank
        rank = _ranked(spikes[lo : lo + length], ranks[:, None, None]).max(axis=0)
        if backward:
            frame = rank.astype(np.int64) + (lo - 1)
        else:
            frame = (lo + length) - rank.astype(np.int64)
        np.copyto(found, frame, where=(found < 0) & (rank > 0))
        done += length
        size *= 2
        if (found >= 0).all():
            break
    return found


def _intensity(t_minus: np.ndarray, t_plus: np.ndarray) -> np.ndarray:
    """``1 / (t_plus - t_minus)`` as float32 (intervals are at least one frame)."""
    return np.float32(1.0) / (t_plus - t_minus).astype(np.float32)


def _check_window(window: int | None) -> int | None:
    if window is not None and (int(window) != window or window < 1):
        raise ValueError(f"window must be None or a positive number of frames, got {window!r}")
    return None if window is None else int(window)


def tfi(spikes: np.ndarray, center: int, window: int | None = None) -> np.ndarray:
    """Inverse inter-spike interval around frame ``center``.

    Args:
        spikes: ``[N, H, W]`` spike frames (bool or numeric, nonzero = spike).
        center: frame index in ``[0, N)``.
        window: half-width in frames of the search on each side, or None for the whole stream
            (see the module docstring for the defaults of missing spikes).

    Returns:
        float32 ``[H, W]`` intensity ``1 / (t_plus - t_minus)`` in spikes per frame.
    """
    spikes = check_spikes(spikes)
    window = _check_window(window)
    n = spikes.shape[0]
    if not 0 <= center < n:
        raise ValueError(f"center must be a frame index in [0, {n}), got {center}")
    if window is None:
        lo, hi, lo_default, hi_default = 0, n - 1, -1, n
    else:
        lo, hi = max(0, center - window + 1), min(n - 1, center + window)
        lo_default, hi_default = center - window, center + window
    t_minus = _nearest_spike(spikes, lo, center + 1, backward=True)
    t_minus[t_minus < 0] = lo_default
    t_plus = _nearest_spike(spikes, center + 1, hi + 1, backward=False)
    t_plus[t_plus < 0] = hi_default
    return _intensity(t_minus, t_plus)


def _running_spike_index(spikes: np.ndarray, backward: bool) -> np.ndarray:
    """``[N + 1, H, W]`` int32: row ``k`` is the last spike frame before ``k`` (forward, -1 if
    none) or the first spike frame at or after ``k`` (backward, ``N`` if none)."""
    n = spikes.shape[0]
    out = np.empty((n + 1, *spikes.shape[1:]), dtype=np.int32)
    frames = np.arange(n, dtype=np.int32)[:, None, None]
    if backward:
        out[:n] = np.where(spikes != 0, frames, np.int32(n))
        out[n] = n
        np.minimum.accumulate(out[::-1], axis=0, out=out[::-1])
    else:
        out[0] = -1
        out[1:] = np.where(spikes != 0, frames, np.int32(-1))
        np.maximum.accumulate(out, axis=0, out=out)
    return out


def tfi_video(spikes: np.ndarray, stride: int = 1, window: int | None = None) -> np.ndarray:
    """:func:`tfi` at centres ``0, stride, 2 * stride, ...``, all at once.

    Uses forward and backward running extrema of spike frame indices over time (two
    ``[N + 1, H, W]`` int32 arrays).

    Returns:
        float32 ``[ceil(N / stride), H, W]``; frame ``i`` equals ``tfi(spikes, i * stride,
        window)``.
    """
    spikes = check_spikes(spikes)
    window = _check_window(window)
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive number of frames, got {stride!r}")
    n = spikes.shape[0]
    centers = np.arange(0, n, int(stride))
    t_minus = _running_spike_index(spikes, backward=False)[centers + 1].astype(np.int64)
    t_plus = _running_spike_index(spikes, backward=True)[centers + 1].astype(np.int64)
    if window is not None:  # spikes beyond the window, or none at all, give its bounds
        c = centers[:, None, None]
        t_minus = np.where((t_minus >= 0) & (t_minus > c - window), t_minus, c - window)
        t_plus = np.where((t_plus < n) & (t_plus <= c + window), t_plus, c + window)
    return _intensity(t_minus, t_plus)
