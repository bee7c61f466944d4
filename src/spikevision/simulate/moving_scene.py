"""Procedural moving scenes: videos with ground truth for spike-camera experiments, no downloads.

A scene is a drifting background of a few sinusoidal gratings plus textured discs and squares
that move in straight lines (wrapping around the borders), with anti-aliased edges. Positions are
continuous, so a scene can be rendered at any time resolution — e.g. one frame per spike-camera
step. Everything is a function of ``seed``; rendering is vectorised over frames and pixels (the
loop runs over the handful of shapes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["render_moving_scene"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def render_moving_scene(
    times: Sequence[float] | np.ndarray,
    height: int = 64,
    width: int = 64,
    seed: int = 0,
    num_shapes: int = 4,
    speed: float = 0.05,
    contrast: float = 1.0,
) -> np.ndarray:
    """Frames ``float32 [N, H, W]`` in [0, 1] of scene ``seed`` at ``times`` (in frames).

    ``speed``: typical shape speed in pixels per unit of time (the background drifts at a quarter
    of it); ``contrast`` ∈ (0, 1] scales deviations from mid-grey.
    """
    if height < 4 or width < 4:
        raise ValueError(f"scene must be at least 4×4 pixels, got {height}×{width}")
    rng = np.random.default_rng(seed)
    t = np.asarray(times, dtype=np.float64).reshape(-1, 1, 1)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    scale = min(height, width)

    frames = np.full((len(t), height, width), 0.5)
    drift = rng.normal(size=2) * speed / 4
    for _ in range(3):  # background gratings
        angle, phase = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        freq = rng.uniform(1.0, 4.0) / scale
        u = (x - drift[0] * t) * np.cos(angle) + (y - drift[1] * t) * np.sin(angle)
        frames += rng.uniform(0.05, 0.15) * np.sin(2 * np.pi * freq * u + phase)

    for _ in range(num_shapes):
        radius = rng.uniform(0.1, 0.22) * scale
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        direction = rng.uniform(0, 2 * np.pi)
        v = speed * rng.uniform(0.5, 1.5)
        dx = (x - cx - v * np.cos(direction) * t + width / 2) % width - width / 2  # wrap around
        dy = (y - cy - v * np.sin(direction) * t + height / 2) % height - height / 2
        if rng.random() < 0.5:
            dist = np.hypot(dx, dy)
        else:
            dist = np.maximum(np.abs(dx), np.abs(dy))
        cover = _sigmoid((radius - dist) * 2.0)  # ~1 px soft edge
        level = rng.uniform(0.05, 0.95)
        stripes = 0.15 * np.sin(2 * np.pi * (dx * rng.normal() + dy * rng.normal()) / (radius / 2))
        frames = frames * (1 - cover) + (level + stripes) * cover

    frames = 0.5 + contrast * (frames - 0.5)
    return np.clip(frames, 0.0, 1.0).astype(np.float32)
