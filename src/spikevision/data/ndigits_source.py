"""N-Digits: the embedded default dataset, a neuromorphic version of scikit-learn's 8x8 digits.

The 1797 real handwritten digits bundled with scikit-learn (``load_digits``, values 0..16,
10 classes) are scaled to [0, 1], upscaled 8x8 -> 32x32 (bicubic, clipped to [0, 1]) and padded
by 1 pixel to 34x34 like N-MNIST. Each image then becomes

* an event stream: :func:`simulate_saccade_events` on a 34x34 sensor, three ~100 ms saccades
  (300 ms in all), threshold 0.2 +- 0.03, 1 ms refractory period;
* a spike-camera stream: :func:`simulate_spikes` of the static image, T = 32 steps, threshold 1
  (so a pixel of intensity I fires about 32 * I times).

Everything is deterministic: sample i uses seed ``seed + i`` for its events and the stream
``[seed + i, 1]`` for its spikes. The train/validation/test split (70/15/15) is stratified by class
through a fixed permutation. The generation parameters are constants of this module; the cache
directory is ``<root>/ndigits_v<VERSION>`` (``root`` defaults to ``$SPIKEVISION_CACHE`` or
``~/.cache/spikevision``), with a parameter hash appended when parameters are overridden.

The cache holds ``data.npz`` (images float32 [N,34,34], labels int64 [N], split int8 [N] with
0 train / 1 validation / 2 test, events concatenated as ``ev_x``/``ev_y`` uint8, ``ev_t`` int32 µs,
``ev_p`` uint8 with ``ev_offsets`` int64 [N+1], spikes bit-packed per sample ``spikes_packed``
uint8 [N, ceil(T*34*34/8)] with ``spikes_shape`` [T,34,34]) and ``meta.json``. It is built in a
temporary directory and renamed into place, under a lock file, so no process ever sees a
half-written cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spikevision.data.cache import (
    GENERATED_DATA_FILE,
    GENERATED_META_FILE,
    build_generated,
    default_cache_root,
    generated_is_complete,
)
from spikevision.io.event_array import EVENT_DTYPE
from spikevision.simulate.saccade_events import simulate_saccade_events_batch
from spikevision.simulate.spike_camera import simulate_spikes

__all__ = [
    "VERSION",
    "DEFAULT_PARAMS",
    "LABEL_NAMES",
    "DIGIT_NAMES",
    "SPLIT_NAMES",
    "NDigitsSource",
    "ndigits_dir",
    "build_ndigits",
    "load_ndigits",
]

VERSION = 1
SENSOR = 34  # sensor width = height, pixels
LABEL_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGIT_NAMES = tuple(str(d) for d in range(10))
SPLIT_NAMES = ("train", "validation", "test")
_SPLIT_ALIASES = {"train": 0, "validation": 1, "val": 1, "valid": 1, "test": 2}

DEFAULT_PARAMS: dict[str, Any] = {
    "seed": 0,  # per-sample seed = seed + index
    "split_seed": 1234,
    "split_fractions": [0.7, 0.15, 0.15],
    "image_size": 32,  # upscaled digit size before the 1-pixel pad
    # events (simulate_saccade_events)
    "threshold": 0.2,
    "threshold_sigma": 0.03,
    "refractory_us": 1000,
    "duration_us": 300_000,
    "amplitude_px": 3.0,
    "steps_per_saccade": 40,
    "eps": 0.2,  # dark offset; gives ~4200 events/sample, like real N-MNIST (~4300)
    # spikes (simulate_spikes)
    "spike_steps": 32,
    "spike_threshold": 1.0,
    "spike_gain": 1.0,
}

_DATA_FILE = GENERATED_DATA_FILE
_META_FILE = GENERATED_META_FILE


@dataclass
class NDigitsSource:
    """The loaded N-Digits arrays; sample i is ``images[i]``, ``events(i)``, ``spikes(i)``.

    images float32 [N, 34, 34] in [0, 1]; labels int64 [N] (0..9); split int8 [N]
    (0 train, 1 validation, 2 test); label_names "zero".."nine"; digit_names "0".."9".
    """

    images: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    ev_x: np.ndarray
    ev_y: np.ndarray
    ev_t: np.ndarray
    ev_p: np.ndarray
    ev_offsets: np.ndarray
    spikes_packed: np.ndarray
    spikes_shape: tuple[int, int, int]
    root: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    label_names: tuple[str, ...] = LABEL_NAMES
    digit_names: tuple[str, ...] = DIGIT_NAMES

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    @property
    def sensor_size(self) -> tuple[int, int]:
        """(width, height) in pixels, as in tonic."""
        return (self.images.shape[2], self.images.shape[1])

    def events(self, i: int) -> np.ndarray:
        """Events of sample i: EVENT_DTYPE array sorted by t (µs, within (0, 300_000])."""
        a, b = self.ev_offsets[i], self.ev_offsets[i + 1]
        ev = np.empty(b - a, dtype=EVENT_DTYPE)
        ev["x"], ev["y"] = self.ev_x[a:b], self.ev_y[a:b]
        ev["t"], ev["p"] = self.ev_t[a:b], self.ev_p[a:b]
        return ev

    def num_events(self) -> np.ndarray:
        """Number of events per sample, int64 [N]."""
        return np.diff(self.ev_offsets)

    def spikes(self, i: int) -> np.ndarray:
        """Spike-camera stream of sample i: uint8 (0/1) [T, 34, 34]."""
        t, h, w = self.spikes_shape
        bits = np.unpackbits(self.spikes_packed[i], count=t * h * w)
        return bits.reshape(t, h, w)

    def indices(self, split_name: str) -> np.ndarray:
        """Sample indices (int64, ascending) of 'train', 'validation' (or 'val') or 'test'."""
        if split_name not in _SPLIT_ALIASES:
            raise ValueError(f"unknown split {split_name!r}; expected one of {SPLIT_NAMES}")
        return np.flatnonzero(self.split == _SPLIT_ALIASES[split_name])


def _resolve_params(overrides: dict[str, Any]) -> dict[str, Any]:
    unknown = set(overrides) - set(DEFAULT_PARAMS)
    if unknown:
        raise TypeError(f"unknown N-Digits parameters {sorted(unknown)}; "
                        f"known: {sorted(DEFAULT_PARAMS)}")
    params = {**DEFAULT_PARAMS, **overrides}
    return json.loads(json.dumps(params))  # normalised as stored in meta.json (tuples -> lists)


def ndigits_dir(root: str | os.PathLike | None = None, **params: Any) -> Path:
    """Cache directory: ``<root>/ndigits_v<VERSION>[_<param hash>]``."""
    if root is None:
        root = default_cache_root()
    full = _resolve_params(params)
    name = f"ndigits_v{VERSION}"
    if full != _resolve_params({}):
        digest = hashlib.sha1(json.dumps(full, sort_keys=True).encode()).hexdigest()[:10]
        name += f"_{digest}"
    return Path(root).expanduser() / name


def _cubic_matrix(n_in: int, n_out: int, a: float = -0.5) -> np.ndarray:
    """Bicubic (Keys, a=-0.5) resampling matrix [n_out, n_in]; half-pixel centres, edges clamped."""
    pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    base = np.floor(pos).astype(np.int64)
    m = np.zeros((n_out, n_in))
    for tap in range(-1, 3):
        d = np.abs(pos - (base + tap))
        wgt = np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                       np.where(d < 2, a * (((d - 5) * d + 8) * d - 4), 0.0))
        np.add.at(m, (np.arange(n_out), np.clip(base + tap, 0, n_in - 1)), wgt)
    return m


def _digit_images(image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn digits -> images float32 [N, 34, 34] in [0, 1], labels int64 [N]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = digits.images.astype(np.float64) / 16.0  # [N, 8, 8]
    m = _cubic_matrix(small.shape[1], image_size)
    big = np.clip(np.einsum("oi,nij,pj->nop", m, small, m), 0.0, 1.0)
    pad = (SENSOR - image_size) // 2
    if pad < 0 or 2 * pad + image_size != SENSOR:
        raise ValueError(f"image_size must be {SENSOR} minus an even pad, got {image_size}")
    images = np.pad(big, ((0, 0), (pad, pad), (pad, pad))).astype(np.float32)
    return images, digits.target.astype(np.int64)


def _stratified_split(labels: np.ndarray, fractions: list[float], seed: int) -> np.ndarray:
    """Split codes int8 [N] (0 train, 1 validation, 2 test), stratified by label."""
    rng = np.random.default_rng(seed)
    split = np.full(len(labels), 2, dtype=np.int8)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_train = round(fractions[0] * len(idx))
        n_val = round(fractions[1] * len(idx))
        split[idx[:n_train]] = 0
        split[idx[n_train:n_train + n_val]] = 1
    return split


def _generate(params: dict[str, Any]) -> dict[str, np.ndarray]:
    """All N-Digits arrays for ``params`` (see the module docstring for names and shapes)."""
    images, labels = _digit_images(params["image_size"])
    n = len(images)
    seeds = [params["seed"] + i for i in range(n)]
    events, offsets = simulate_saccade_events_batch(
        images, seeds=seeds, sensor_size=(SENSOR, SENSOR),
        threshold=params["threshold"], threshold_sigma=params["threshold_sigma"],
        refractory_us=params["refractory_us"], duration_us=params["duration_us"],
        amplitude_px=params["amplitude_px"], steps_per_saccade=params["steps_per_saccade"],
        eps=params["eps"],
    )
    # All samples at once: a tall [N*34, 34] image, each sample's initial accumulator drawn
    # from its own seed, so sample i equals simulate_spikes(images[i], ..., seed=[seed+i, 1]).
    thr = params["spike_threshold"]
    initial = np.concatenate(
        [np.random.default_rng([s, 1]).random((SENSOR, SENSOR)) * thr for s in seeds])
    steps = params["spike_steps"]
    spikes = simulate_spikes(images.reshape(n * SENSOR, SENSOR), steps, threshold=thr,
                             gain=params["spike_gain"], initial=initial)
    spikes = spikes.reshape(steps, n, SENSOR, SENSOR).transpose(1, 0, 2, 3)
    return {
        "images": images,
        "labels": labels,
        "split": _stratified_split(labels, params["split_fractions"], params["split_seed"]),
        "ev_x": events["x"].astype(np.uint8),
        "ev_y": events["y"].astype(np.uint8),
        "ev_t": events["t"].astype(np.int32),
        "ev_p": events["p"].astype(np.uint8),
        "ev_offsets": offsets,
        "spikes_packed": np.packbits(spikes.reshape(n, -1), axis=1),
        "spikes_shape": np.array([steps, SENSOR, SENSOR], dtype=np.int64),
    }


def _is_complete(path: Path) -> bool:
    return generated_is_complete(path)


def build_ndigits(
    root: str | os.PathLike | None = None, *, overwrite: bool = False, **params: Any
) -> Path:
    """Generate N-Digits into its cache directory (unless already there) and return that path.

    ``params`` override entries of :data:`DEFAULT_PARAMS`. The data are written to a temporary
    directory next to the target and renamed into place; a failure leaves nothing behind.
    """
    full = _resolve_params(params)

    def generate() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = _generate(full)
        counts = np.diff(arrays["ev_offsets"])
        meta = {
            "name": "N-Digits",
            "version": VERSION,
            "params": full,
            "source": "sklearn.datasets.load_digits",
            "num_samples": int(len(arrays["labels"])),
            "num_classes": len(LABEL_NAMES),
            "label_names": list(LABEL_NAMES),
            "split_counts": {name: int(np.sum(arrays["split"] == k)) for k, name in enumerate(SPLIT_NAMES)},
            "class_counts": np.bincount(arrays["labels"], minlength=10).tolist(),
            "num_events_total": int(counts.sum()),
            "num_events_mean": float(counts.mean()),
            "spikes_shape": arrays["spikes_shape"].tolist(),
        }
        return arrays, meta

    return build_generated(ndigits_dir(root, **params), generate, overwrite)


def load_ndigits(root: str | os.PathLike | None = None, **params: Any) -> NDigitsSource:
    """Load N-Digits from the cache under ``root``, generating it first if missing or stale."""
    full = _resolve_params(params)
    path = ndigits_dir(root, **params)
    if not _is_complete(path):
        build_ndigits(root, **params)
    meta = json.loads((path / _META_FILE).read_text())
    if meta.get("version") != VERSION or meta.get("params") != full:
        build_ndigits(root, overwrite=True, **params)
        meta = json.loads((path / _META_FILE).read_text())
    with np.load(path / _DATA_FILE) as z:
        arrays = {k: z[k] for k in z.files}
    return NDigitsSource(
        images=arrays["images"],
        labels=arrays["labels"],
        split=arrays["split"],
        ev_x=arrays["ev_x"],
        ev_y=arrays["ev_y"],
        ev_t=arrays["ev_t"],
        ev_p=arrays["ev_p"],
        ev_offsets=arrays["ev_offsets"],
        spikes_packed=arrays["spikes_packed"],
        spikes_shape=tuple(int(v) for v in arrays["spikes_shape"]),
        root=path,
        meta=meta,
    )
