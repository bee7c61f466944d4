"""Texture from playback (TFP, the "window method"): mean firing rate over a window of frames.

A spike camera pixel fires more often the brighter it is, so the fraction of frames in which it
fired, over a short window, estimates its intensity. Results are mean spike values in ``[0, 1]``
for 0/1 spikes, times ``scale``; pass ``scale=255`` for 8-bit display (the spikling seed's
convention).

The window around frame ``center`` covers frames
``[center - window // 2, center - window // 2 + window)``, clipped to the stream; near the ends
of the stream the mean is taken over the frames that exist.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tfp", "tfp_video"]


def check_spikes(spikes: np.ndarray) -> np.ndarray:
    """Return ``spikes`` as an ndarray ``[N, H, W]`` with ``N >= 1``, else raise ValueError."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3 or spikes.shape[0] < 1:
        raise ValueError(f"spikes must be shaped [frames, height, width], got {spikes.shape}")
    return spikes


def _window_bounds(centers, window: int, n: int):
    """First and one-past-last frame of the windows around ``centers`` (int or int array)."""
    start = centers - window // 2
    return np.maximum(start, 0), np.minimum(start + window, n)


def _check_window(window: int) -> int:
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive number of frames, got {window!r}")
    return int(window)


def tfp(spikes: np.ndarray, center: int, window: int, scale: float = 1.0) -> np.ndarray:
    """Mean spike value per pixel over ``window`` frames around ``center``.

    Args:
        spikes: ``[N, H, W]`` spike frames (bool or numeric, 1 = spike).
        center: frame index in ``[0, N)``.
        window: number of frames (clipped to the stream).
        scale: factor applied to the mean (255 for 8-bit display).

    Returns:
        float32 ``[H, W]`` mean firing rate (spikes per frame) times ``scale``.
    """
    spikes = check_spikes(spikes)
    window = _check_window(window)
    n = spikes.shape[0]
    if not 0 <= center < n:
        raise ValueError(f"center must be a frame index in [0, {n}), got {center}")
    lo, hi = (int(v) for v in _window_bounds(center, window, n))
    dtype = np.float64 if np.issubdtype(spikes.dtype, np.floating) else np.int64
    total = spikes[lo:hi].sum(axis=0, dtype=dtype)
    return (total * (scale / (hi - lo))).astype(np.float32)


def tfp_video(spikes: np.ndarray, window: int, stride: int = 1, scale: float = 1.0) -> np.ndarray:
    """:func:`tfp` at centres ``0, stride, 2 * stride, ...`` via a cumulative sum over time.

    Returns:
        float32 ``[ceil(N / stride), H, W]``; frame ``i`` equals
        ``tfp(spikes, i * stride, window, scale)``. Memory: one ``[N + 1, H, W]`` prefix-sum
        array (int64, or float64 for float spikes).
    """
    spikes = check_spikes(spikes)
    window = _check_window(window)
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive number of frames, got {stride!r}")
    n = spikes.shape[0]
    dtype = np.float64 if np.issubdtype(spikes.dtype, np.floating) else np.int64
    prefix = np.zeros((n + 1, *spikes.shape[1:]), dtype=dtype)
    np.cumsum(spikes, axis=0, dtype=dtype, out=prefix[1:])
    lo, hi = _window_bounds(np.arange(0, n, int(stride)), window, n)
    total = prefix[hi] - prefix[lo]
    factor = (scale / (hi - lo)).astype(np.float64)[:, None, None]
    return (total * factor).astype(np.float32)
