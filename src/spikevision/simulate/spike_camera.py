"""Image or video -> spike-camera stream with an integrate-and-fire pixel model.

Each pixel holds an accumulator that starts at ``U(0, 1) * threshold`` (or ``initial``), adds
``gain * intensity`` every step, and fires a spike when it reaches ``threshold``, after which
``threshold`` is subtracted (the residual is kept). A pixel fires at most once per step, so its
rate saturates at 1 when ``gain * intensity >= threshold``. Vectorised over pixels; the loop runs
over time steps only (it is sequential by nature).
"""

from __future__ import annotations

import numpy as np

__all__ = ["simulate_spikes"]


def simulate_spikes(
    frames_or_image: np.ndarray,
    num_steps: int | None = None,
    *,
    threshold: float = 1.0,
    gain: float = 1.0,
    steps_per_frame: int = 1,
    initial: np.ndarray | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Spike stream uint8 [T, H, W] (0/1) from an image [H, W] or a video [N, H, W].

    Intensities are expected in [0, 1]. An image is presented for ``num_steps`` steps (required);
    a video gives ``steps_per_frame`` steps per frame, T = N * steps_per_frame, truncated to
    ``num_steps`` if given. ``initial`` [H, W] sets the starting accumulator (same units as
    ``threshold``); otherwise it is drawn as ``U(0, 1) * threshold`` from ``rng`` or
    ``np.random.default_rng(seed)``.
    """
    x = np.asarray(frames_or_image, dtype=np.float64)
    if threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    if steps_per_frame < 1:
        raise ValueError(f"steps_per_frame must be >= 1, got {steps_per_frame}")
    if x.ndim == 2:
        if num_steps is None:
            raise ValueError("num_steps is required when simulating a single image [H, W]")
        total = int(num_steps)

        def frame(_k: int) -> np.ndarray:
            return x
    elif x.ndim == 3:
        total = len(x) * steps_per_frame
        if num_steps is not None:
            total = min(total, int(num_steps))

        def frame(k: int) -> np.ndarray:
            return x[k // steps_per_frame]
    else:
        raise ValueError(f"expected an image [H, W] or frames [N, H, W], got shape {x.shape}")
    h, w = x.shape[-2:]
    if initial is not None:
        acc = np.array(np.broadcast_to(np.asarray(initial, dtype=np.float64), (h, w)))
    else:
        rng = rng if rng is not None else np.random.default_rng(seed)
        acc = rng.random((h, w)) * threshold
    spikes = np.zeros((total, h, w), dtype=np.uint8)
    for k in range(total):
        acc += gain * frame(k)
        fired = acc >= threshold
        acc -= fired * threshold
        spikes[k] = fired
    return spikes
