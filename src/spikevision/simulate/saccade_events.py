"""Image or video -> DVS/ATIS events with an ESIM/v2e-style contrast-threshold pixel model.

Pixel model (per pixel, vectorised over all pixels; the only Python loops run over time steps
and over the few threshold crossings a pixel makes within one step):

* log intensity ``L = log(I + eps)`` with ``I`` in [0, 1];
* a reference level ``ref``, initialised to ``L`` of the first frame;
* a contrast threshold ``C ~ N(threshold, threshold_sigma)`` drawn once per pixel (mismatch) and
  clipped to at least 1 % of ``threshold``;
* between two frames ``L`` is interpolated linearly in time; every time it crosses ``ref ± k·C``
  an event of polarity ON (+) or OFF (-) is emitted at the linearly interpolated crossing time, and
  ``ref`` moves by ±C. Several events per step are emitted when several levels are crossed;
* optional refractory period: an event less than ``refractory_us`` after the pixel's previous
  emitted event is dropped. The reference still moves past dropped crossings (the pixel is held in
  reset while refractory, so the change is lost rather than delayed).

``simulate_saccade_events`` renders a static image moved along an N-MNIST-style saccade path
(three straight ~100 ms moves forming a closed triangle, like the ATIS on a pan-tilt unit in front
of an LCD in Orchard et al. 2015) with a bilinear sub-pixel shift, then runs the pixel model.
Sizes follow tonic: ``sensor_size = (width, height)``. Timestamps are int64 microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spikevision.io.event_array import EVENT_DTYPE, empty_events
from spikevision.transforms import center_crop

__all__ = [
    "saccade_path",
    "simulate_video_events",
    "simulate_saccade_events",
    "simulate_saccade_events_batch",
]


def _make_rng(seed: int | None, rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng(seed)


def _draw_thresholds(
    rng: np.random.Generator, shape: tuple[int, ...], threshold: float, threshold_sigma: float
) -> np.ndarray:
    """Per-pixel contrast thresholds [*shape], float64, N(threshold, sigma) clipped positive."""
    if threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    if threshold_sigma < 0:
        raise ValueError(f"threshold_sigma must be >= 0, got {threshold_sigma}")
    c = rng.normal(threshold, threshold_sigma, size=shape) if threshold_sigma > 0 else None
    if c is None:
        return np.full(shape, float(threshold))
    return np.maximum(c, 0.01 * threshold)


class _ContrastPixels:
    """State of P independent DVS pixels (flat arrays [P]) stepped frame by frame."""

    def __init__(self, log_first: np.ndarray, thresholds: np.ndarray, refractory_us: float):
        self.ref = np.array(log_first, dtype=np.float64)
        self.c = np.asarray(thresholds, dtype=np.float64)
        self.log_prev = self.ref.copy()
        self.refractory = float(refractory_us)
        self.last_t = np.full(self.ref.shape, -np.inf) if self.refractory > 0 else None

    def step(self, log_next: np.ndarray, t0: float, t1: float):
        """Advance to ``log_next`` [P] at time t1 µs; return (pixel index, time µs, polarity ±1)."""
        l0, l1, ref, c = self.log_prev, log_next, self.ref, self.c
        diff = l1 - ref
        n = np.floor(np.abs(diff) / c).astype(np.int64)  # crossings this step, >= 0
        n[l1 == l0] = 0  # no change, no event (guards against rounding at a level)
        active = np.flatnonzero(n)
        self.log_prev = l1
        if active.size == 0:
            return None
        n_a = n[active]
        sign = np.where(diff[active] > 0, 1.0, -1.0)
        c_a, ref_a, l0_a = c[active], ref[active], l0[active]
        slope = l1[active] - l0_a  # nonzero wherever a level is crossed
        self.ref[active] = ref_a + sign * n_a * c_a
        idx, ts, pol = [], [], []
        for j in range(1, int(n_a.max()) + 1):
            sel = np.flatnonzero(n_a >= j)
            level = ref_a[sel] + sign[sel] * j * c_a[sel]
            frac = np.clip((level - l0_a[sel]) / slope[sel], 0.0, 1.0)
            t = t0 + frac * (t1 - t0)
            pix = active[sel]
            if self.last_t is not None:
                keep = t - self.last_t[pix] >= self.refractory
                pix, t, sel = pix[keep], t[keep], sel[keep]
                self.last_t[pix] = t
            idx.append(pix)
            ts.append(t)
            pol.append(sign[sel])
        return np.concatenate(idx), np.concatenate(ts), np.concatenate(pol)


def _run_pixels(frame_iter, times_us: np.ndarray, thresholds: np.ndarray, refractory_us: float,
                eps: float):
    """Run the pixel model over frames from ``frame_iter`` (each flat [P] intensities).

    Returns flat pixel index [E] int64, time [E] int64 µs and polarity [E] (+1/-1), unsorted.
    """
    frames = iter(frame_iter)
    first = next(frames)
    pixels = _ContrastPixels(np.log(np.maximum(first, 0.0) + eps), thresholds, refractory_us)
    out_idx, out_t, out_p = [], [], []
    for k, frame in enumerate(frames):
        res = pixels.step(np.log(np.maximum(frame, 0.0) + eps), times_us[k], times_us[k + 1])
        if res is not None:
            out_idx.append(res[0])
            out_t.append(res[1])
            out_p.append(res[2])
    if not out_idx:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8)
    idx = np.concatenate(out_idx)
    t = np.rint(np.concatenate(out_t)).astype(np.int64)
    p = np.concatenate(out_p).astype(np.int8)
    return idx, t, p


def _to_events(idx: np.ndarray, t: np.ndarray, p: np.ndarray, width: int) -> np.ndarray:
    """Flat pixel index/time/polarity -> EVENT_DTYPE array sorted (stably) by t."""
    order = np.argsort(t, kind="stable")
    ev = np.empty(len(idx), dtype=EVENT_DTYPE)
    ev["x"] = idx[order] % width
    ev["y"] = idx[order] // width
    ev["t"] = t[order]
    ev["p"] = p[order] > 0
    return ev


def simulate_video_events(
    frames: np.ndarray,
    times_us: Sequence[float] | np.ndarray,
    *,
    threshold: float = 0.2,
    threshold_sigma: float = 0.03,
    refractory_us: float = 0.0,
    eps: float = 0.1,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Events from a video: frames [N, H, W] intensities in [0, 1] at ``times_us`` [N] (µs).

    Returns an EVENT_DTYPE array (x < W, y < H, t int64 µs in (t_0, t_{N-1}]) sorted by t.
    Thresholds are drawn from ``rng`` (or ``np.random.default_rng(seed)``), shape [H, W].
    """
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 3:
        raise ValueError(f"frames must have shape [N, H, W], got {frames.shape}")
    times = np.asarray(times_us, dtype=np.float64)
    if times.shape != (frames.shape[0],):
        raise ValueError(f"times_us must have shape [{frames.shape[0]}], got {times.shape}")
    if np.any(np.diff(times) < 0):
        raise ValueError("times_us must be non-decreasing")
    _, h, w = frames.shape
    c = _draw_thresholds(_make_rng(seed, rng), (h, w), threshold, threshold_sigma)
    if frames.shape[0] < 2:
        return empty_events()
    idx, t, p = _run_pixels(frames.reshape(len(frames), -1), times, c.ravel(), refractory_us, eps)
    return _to_events(idx, t, p, w)


def saccade_path(
    duration_us: float = 300_000,
    amplitude_px: float = 3.0,
    steps_per_saccade: int = 40,
    *,
    smooth: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three straight moves of duration/3 each around a closed triangle.

    The triangle (in pixels, y pointing down) is isosceles with base and height ``amplitude_px``
    and its centroid at the origin: down-right, then left, then up-right back to the start, like
    the N-MNIST pan-tilt saccades. With ``smooth`` the position along each move follows a
    half-cosine (bell-shaped speed, zero at the corners); otherwise the speed is constant.

    Returns ``(times_us, dx, dy)``, each float64 [3 * steps_per_saccade + 1]: times from 0 to
    ``duration_us`` and the sub-pixel image offset at each simulation step; the last offset equals
    the first.
    """
    if steps_per_saccade < 1:
        raise ValueError(f"steps_per_saccade must be >= 1, got {steps_per_saccade}")
    a = float(amplitude_px)
    corners = np.array([[0.0, 0.0], [a / 2, a], [-a / 2, a], [0.0, 0.0]])
    corners -= corners[:3].mean(axis=0)
    u = np.arange(steps_per_saccade) / steps_per_saccade  # [S], progress within one move
    s = 0.5 - 0.5 * np.cos(np.pi * u) if smooth else u
    starts, ends = corners[:3], corners[1:]
    pts = starts[:, None, :] + s[None, :, None] * (ends - starts)[:, None, :]  # [3, S, 2]
    pts = np.concatenate([pts.reshape(-1, 2), corners[-1:]], axis=0)
    times = np.linspace(0.0, float(duration_us), len(pts))
    return times, pts[:, 0].copy(), pts[:, 1].copy()


def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Bilinear resampling matrix [n_out, n_in] (half-pixel centres, edges clamped)."""
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = pos - lo
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), lo), 1 - frac)
    np.add.at(m, (np.arange(n_out), hi), frac)
    return m


def _fit_to_sensor(images: np.ndarray, sensor_size: Sequence[int] | None) -> np.ndarray:
    """Images [B, H, W] -> [B, h, w] on a (w, h) sensor: resized to fit (aspect kept), centred."""
    if sensor_size is None:
        return images
    sw, sh = int(sensor_size[0]), int(sensor_size[1])
    _, h, w = images.shape
    if (h, w) == (sh, sw):
        return images
    scale = min(sw / w, sh / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = np.einsum("oh,bhw,pw->bop", _resize_matrix(h, nh), images, _resize_matrix(w, nw))
    out = np.zeros((images.shape[0], sh, sw))
    center_crop(out, (nh, nw))[:] = resized  # the central nh×nw window (a view of out)
    return out


def _shift_bilinear(images: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Move images [B, H, W] by (dx, dy) pixels (bilinear, zero outside): out(y,x)=in(y-dy,x-dx)."""
    _, h, w = images.shape
    ix, iy = int(np.floor(dx)), int(np.floor(dy))
    fx, fy = dx - ix, dy - iy
    pad = max(abs(ix), abs(iy)) + 2
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad)))

    def win(oy: int, ox: int) -> np.ndarray:  # in(y - oy, x - ox) for the H x W window
        return padded[:, pad - oy:pad - oy + h, pad - ox:pad - ox + w]

    return ((1 - fy) * ((1 - fx) * win(iy, ix) + fx * win(iy, ix + 1))
            + fy * ((1 - fx) * win(iy + 1, ix) + fx * win(iy + 1, ix + 1)))


def simulate_saccade_events_batch(
    images: np.ndarray,
    *,
    seeds: Sequence[int],
    sensor_size: Sequence[int] | None = (34, 34),
    threshold: float = 0.2,
    threshold_sigma: float = 0.03,
    refractory_us: float = 0.0,
    duration_us: float = 300_000,
    amplitude_px: float = 3.0,
    steps_per_saccade: int = 40,
    eps: float = 0.1,
    chunk_size: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """Saccade events for a batch of images [B, H, W] in [0, 1], sample b seeded by ``seeds[b]``.

    Sample b equals ``simulate_saccade_events(images[b], seed=seeds[b], ...)``; the batch is
    simulated ``chunk_size`` images at a time for speed. Returns ``(events, offsets)``: one
    EVENT_DTYPE array with the samples' events concatenated (each sorted by t) and int64 offsets
    [B + 1] so that sample b is ``events[offsets[b]:offsets[b + 1]]``.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"images must have shape [B, H, W], got {images.shape}")
    if len(seeds) != len(images):
        raise ValueError(f"need one seed per image: {len(seeds)} seeds for {len(images)} images")
    images = _fit_to_sensor(images, sensor_size)
    _, h, w = images.shape
    times, dx, dy = saccade_path(duration_us, amplitude_px, steps_per_saccade)
    chunks, counts = [], []
    for start in range(0, len(images), chunk_size):
        block = images[start:start + chunk_size]
        nb = len(block)
        c = np.stack([
            _draw_thresholds(np.random.default_rng(s), (h, w), threshold, threshold_sigma)
            for s in seeds[start:start + chunk_size]
        ])
        frames = (_shift_bilinear(block, dx[k], dy[k]).ravel() for k in range(len(times)))
        idx, t, p = _run_pixels(frames, times, c.ravel(), refractory_us, eps)
        sample, local = np.divmod(idx, h * w)
        order = np.lexsort((t, sample))  # by sample, then t; stable
        ev = np.empty(len(idx), dtype=EVENT_DTYPE)
        ev["x"] = local[order] % w
        ev["y"] = local[order] // w
        ev["t"] = t[order]
        ev["p"] = p[order] > 0
        chunks.append(ev)
        counts.append(np.bincount(sample, minlength=nb))
    events = np.concatenate(chunks) if chunks else empty_events()
    offsets = np.zeros(len(images) + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    return events, offsets


def simulate_saccade_events(
    image: np.ndarray,
    *,
    sensor_size: Sequence[int] | None = (34, 34),
    threshold: float = 0.2,
    threshold_sigma: float = 0.03,
    refractory_us: float = 0.0,
    duration_us: float = 300_000,
    amplitude_px: float = 3.0,
    steps_per_saccade: int = 40,
    eps: float = 0.1,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Events of a static image [H, W] (intensities in [0, 1]) seen through three saccades.

    ``sensor_size`` is (width, height) as in tonic; an image of another size is resized to fit
    (bilinear, aspect kept) and centred on a black sensor; ``None`` keeps the image's size. The
    image is shifted along :func:`saccade_path` with a bilinear sub-pixel shift (black enters at
    the borders) and fed to :func:`simulate_video_events`. Returns an EVENT_DTYPE array sorted by
    t, with t in (0, duration_us] µs.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image must have shape [H, W], got {image.shape}")
    img = _fit_to_sensor(image[None], sensor_size)
    times, dx, dy = saccade_path(duration_us, amplitude_px, steps_per_saccade)
    frames = np.concatenate([_shift_bilinear(img, dx[k], dy[k]) for k in range(len(times))])
    return simulate_video_events(
        frames, times, threshold=threshold, threshold_sigma=threshold_sigma,
        refractory_us=refractory_us, eps=eps, seed=seed, rng=rng,
    )
