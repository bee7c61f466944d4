"""Embedded stereo pairs: an offline, deterministic stereo set generated on first use.

Real pairs: ``skimage.data.stereo_motorcycle()``, the rectified Middlebury 2014 "Motorcycle"
pair (500×741 RGB, bundled in the scikit-image wheel). It is downscaled by an integer ``scale``
(s×s block mean, rounded half up; default: 2 → 250×370 when the bands below fit, i.e.
``crop`` <= 121, else 1) and cut into aligned ``crop``×``crop`` windows (the same pixel window
in both views) inside disjoint bands of the working image (H×W):

* train: rows ``[0, H - crop - gap)`` (gap = 8 rows), stride ``crop // 4``;
* validation / test: the bottom ``crop`` rows, left columns ``[0, (W - g) // 2)`` for
  validation and right columns ``[W - (W - g) // 2, W)`` for test, non-overlapping crops, where
  g = ceil(max finite ground-truth disparity / scale) (30 px at scale 2), so that no content a
  validation crop sees in its right view is in a test crop. Row bands are leak-free since
  rectified disparity is horizontal.

Synthetic pairs: bundled RGB photos, whole images assigned to splits (train: skimage astronaut,
rocket, sklearn china; validation: skimage chelsea, coffee; test: sklearn flower, skimage
immunohistochemistry), at ``synthetic_scale`` 1. The right view is a backward warp of the left,
``right[y, x] = left[y, x + d[y, x]]`` (bilinear along x, ``scipy.ndimage.map_coordinates``
order 1, rounded to uint8), i.e. a point at left column x appears at x - d in the right view, as
in Middlebury and KITTI. ``d`` (float32 px, on the right view's grid) lies in [2, 12]: a planar
ramp plus 4 Gaussian bumps (seeded by ``seed`` and the image name), min-max normalised. Crops
avoid the right-most ceil(12) columns so every sample lies inside the image; train stride
``crop // 2``, validation/test non-overlapping.

Counts at the defaults (crop 64, real scale 2 → 250×370; build about 2.5 s on one core):

=========== ==== ========= =====
split       real synthetic total
=========== ==== ========= =====
train        160       642   802
validation     2        78    80
test           2       110   112
=========== ==== ========= =====

Cache: ``<root>/stereo_embedded_v<VERSION>[_<param hash>]/`` (root: ``$SPIKEVISION_CACHE`` or
``~/.cache/spikevision``; the hash appears for non-default parameters, e.g. ``crop=128``) holds
``meta.json`` and ``data.npz``: for each source k ``left_k``, ``right_k`` uint8 [H, W, 3] and,
for synthetic ones, ``disparity_k`` float32 [H, W]; ``source_names`` str [S], ``source_kind``
int8 [S] (0 real, 1 synthetic), ``source_split`` int8 [S] (-1 banded, else 0/1/2 = train/
validation/test); ``crop_source`` int16 [N], ``crop_origin`` int32 [N, 2] (y0, x0 in the
working image), ``crop_split`` int8 [N]; ``real_bands`` int32 [3, 4] (y0, y1, x0, x1 per split).
Crops are cut from the stored images on access. It is built in a temporary directory and
renamed into place under a lock file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spikevision.data.cache import (
    GENERATED_DATA_FILE,
    GENERATED_META_FILE,
    build_generated,
    default_cache_root,
    generated_is_complete,
)
from spikevision.data.stereo_pairs import SPLITS, StereoDataset

__all__ = [
    "VERSION",
    "DEFAULT_PARAMS",
    "SYNTHETIC_SOURCES",
    "EmbeddedStereoSource",
    "EmbeddedStereo",
    "stereo_embedded_dir",
    "build_stereo_embedded",
    "load_stereo_embedded",
    "disparity_field",
    "warp_right",
    "downscale",
]

log = logging.getLogger(__name__)

VERSION = 1
REAL_NAME = "motorcycle"
_MOTORCYCLE_HW = (500, 741)
_MOTORCYCLE_MAX_DISPARITY = 59.91  # finite maximum of the ground truth, px at full size
# RGB images bundled with the installed wheels (no download): skimage.data.<name>() or
# sklearn.datasets.load_sample_image("<name>.jpg").
SYNTHETIC_SOURCES = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry",
                     "hubble_deep_field", "china", "flower")
_SKLEARN_SOURCES = ("china", "flower")

DEFAULT_PARAMS: dict[str, Any] = {
    "crop": 64,
    "scale": None,  # real-pair downscale factor; None -> 2 if the bands fit, else 1
    "synthetic_scale": 1,
    "gap": 8,  # rows between the real train band and the held-out band
    "train_stride": None,  # real train crops; None -> crop // 4
    "synthetic_stride": None,  # synthetic train crops; None -> crop // 2
    "disparity_range": [2.0, 12.0],  # px at the synthetic working scale
    "bumps": 4,
    "seed": 0,
    "synthetic_splits": {
        "train": ["astronaut", "rocket", "china"],
        "validation": ["chelsea", "coffee"],
        "test": ["flower", "immunohistochemistry"],
    },
}

_DATA_FILE = GENERATED_DATA_FILE
_META_FILE = GENERATED_META_FILE
_INCLUDE = ("real", "synthetic", "all")


def _real_layout_fits(crop: int, scale: int, gap: int) -> bool:
    h, w = _MOTORCYCLE_HW[0] // scale, _MOTORCYCLE_HW[1] // scale
    g = math.ceil(_MOTORCYCLE_MAX_DISPARITY / scale)
    return h - crop - gap >= crop and (w - g) // 2 >= crop


def _resolve_params(overrides: dict[str, Any]) -> dict[str, Any]:
    unknown = set(overrides) - set(DEFAULT_PARAMS)
    if unknown:
        raise TypeError(f"unknown embedded-stereo parameters {sorted(unknown)}; "
                        f"known: {sorted(DEFAULT_PARAMS)}")
    p = json.loads(json.dumps({**DEFAULT_PARAMS, **overrides}))  # deep copy, tuples -> lists
    crop = int(p["crop"])
    if crop < 8:
        raise ValueError(f"crop must be at least 8 pixels, got {crop}")
    if p["scale"] is None:
        p["scale"] = 2 if _real_layout_fits(crop, 2, p["gap"]) else 1
    if not _real_layout_fits(crop, p["scale"], p["gap"]):
        raise ValueError(f"crop {crop} does not fit the motorcycle pair's train/validation/test "
                         f"bands at scale {p['scale']}; use a smaller crop or scale")
    p["train_stride"] = p["train_stride"] or max(crop // 4, 1)
    p["synthetic_stride"] = p["synthetic_stride"] or max(crop // 2, 1)
    for split, names in p["synthetic_splits"].items():
        if split not in SPLITS:
            raise ValueError(f"synthetic_splits key {split!r} is not one of {list(SPLITS)}")
        bad = set(names) - set(SYNTHETIC_SOURCES)
        if bad:
            raise ValueError(f"unknown synthetic sources {sorted(bad)}; "
                             f"bundled: {list(SYNTHETIC_SOURCES)}")
    used = [n for names in p["synthetic_splits"].values() for n in names]
    if len(used) != len(set(used)):
        raise ValueError(f"a synthetic source is assigned to several splits: {used}")
    return p


def stereo_embedded_dir(root: str | os.PathLike | None = None, **params: Any) -> Path:
    """Cache directory: ``<root>/stereo_embedded_v<VERSION>[_<param hash>]``."""
    full = _resolve_params(params)
    name = f"stereo_embedded_v{VERSION}"
    if full != _resolve_params({}):
        name += "_" + hashlib.sha1(json.dumps(full, sort_keys=True).encode()).hexdigest()[:10]
    return Path(root if root is not None else default_cache_root()).expanduser() / name


def downscale(img: np.ndarray, scale: int) -> np.ndarray:
    """uint8 [H, W, C] -> uint8 [H // s, W // s, C]: s×s block means rounded half up
    (trailing rows/columns dropped)."""
    if scale == 1:
        return np.ascontiguousarray(img)
    h, w = img.shape[0] // scale, img.shape[1] // scale
    sums = img[: h * scale, : w * scale].astype(np.int64)
    sums = sums.reshape(h, scale, w, scale, -1).sum(axis=(1, 3))
    return ((sums + scale * scale // 2) // (scale * scale)).astype(np.uint8)


def disparity_field(
    shape: tuple[int, int], seed: int | list[int], low: float = 2.0, high: float = 12.0,
    bumps: int = 4,
) -> np.ndarray:
    """A smooth disparity map float32 [H, W] in [low, high] px: a seeded planar ramp plus
    ``bumps`` Gaussian bumps (widths 0.1-0.3 of the longer side), min-max normalised."""
    rng = np.random.default_rng(seed)
    h, w = shape
    n = max(h, w)
    yy, xx = np.mgrid[0:h, 0:w] / n
    a, b = rng.uniform(-1.0, 1.0, 2)
    f = a * xx + b * yy
    for _ in range(bumps):
        cy, cx = rng.uniform(0, h / n), rng.uniform(0, w / n)
        sigma, amp = rng.uniform(0.1, 0.3), rng.uniform(-1.0, 1.0)
        f += amp * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))
    f = (f - f.min()) / max(f.max() - f.min(), 1e-12)
    return (low + (high - low) * f).astype(np.float32)


def warp_right(left: np.ndarray, disparity: np.ndarray) -> np.ndarray:
    """Right view uint8 [H, W, 3] with ``right[y, x] = left[y, x + disparity[y, x]]`` (bilinear
    along x; samples past the right edge take the edge value)."""
    from scipy.ndimage import map_coordinates

    h, w = disparity.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    coords = np.stack([yy, xx + disparity.astype(np.float64)])
    out = np.stack([map_coordinates(left[..., c].astype(np.float64), coords, order=1,
                                    mode="nearest") for c in range(left.shape[2])], axis=-1)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _load_synthetic(name: str) -> np.ndarray:
    if name in _SKLEARN_SOURCES:
        from sklearn.datasets import load_sample_image

        img = load_sample_image(f"{name}.jpg")
    else:
        import skimage.data

        img = getattr(skimage.data, name)()
    img = np.asarray(img)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"bundled image {name!r} is not RGB uint8: {img.dtype} {img.shape}")
    return img


def _grid(y0: int, y1: int, x0: int, x1: int, crop: int, stride: int) -> list[tuple[int, int]]:
    """Origins (y, x) of crop windows lying inside rows [y0, y1) and columns [x0, x1)."""
    return [(y, x) for y in range(y0, y1 - crop + 1, stride)
            for x in range(x0, x1 - crop + 1, stride)]


def _generate(p: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """All arrays (see the module docstring) and extra metadata for resolved parameters."""
    import skimage.data

    crop, s = p["crop"], p["scale"]
    arrays: dict[str, np.ndarray] = {}
    names, kinds, source_splits = [], [], []
    crops: list[tuple[int, int, int, int]] = []  # (source, y0, x0, split)

    left, right, disp = skimage.data.stereo_motorcycle()
    left, right = downscale(left, s), downscale(right, s)
    h, w = left.shape[:2]
    g = math.ceil(float(np.max(disp[np.isfinite(disp)])) / s)
    half = (w - g) // 2
    bands = np.array([[0, h - crop - p["gap"], 0, w],
                      [h - crop, h, 0, half],
                      [h - crop, h, w - half, w]], dtype=np.int32)
    arrays["left_0"], arrays["right_0"] = left, right
    names.append(REAL_NAME)
    kinds.append(0)
    source_splits.append(-1)
    for k, (y0, y1, x0, x1) in enumerate(bands.tolist()):
        stride = p["train_stride"] if k == 0 else crop
        crops += [(0, y, x, k) for y, x in _grid(y0, y1, x0, x1, crop, stride)]

    lo, hi = p["disparity_range"]
    margin = math.ceil(hi)
    for k, split in enumerate(SPLITS):
        for name in p["synthetic_splits"].get(split, []):
            src = len(names)
            img = downscale(_load_synthetic(name), p["synthetic_scale"])
            d = disparity_field(img.shape[:2], [p["seed"], zlib.crc32(name.encode())], lo, hi,
                                p["bumps"])
            arrays[f"left_{src}"], arrays[f"right_{src}"] = img, warp_right(img, d)
            arrays[f"disparity_{src}"] = d
            names.append(name)
            kinds.append(1)
            source_splits.append(k)
            stride = p["synthetic_stride"] if k == 0 else crop
            ih, iw = img.shape[:2]
            crops += [(src, y, x, k) for y, x in _grid(0, ih, 0, iw - margin, crop, stride)]

    table = np.array(crops, dtype=np.int64).reshape(-1, 4)
    arrays.update(
        source_names=np.array(names),
        source_kind=np.array(kinds, dtype=np.int8),
        source_split=np.array(source_splits, dtype=np.int8),
        crop_source=table[:, 0].astype(np.int16),
        crop_origin=table[:, 1:3].astype(np.int32),
        crop_split=table[:, 3].astype(np.int8),
        real_bands=bands,
    )
    counts = {split: {kind: int(np.sum((table[:, 3] == k) & (np.array(kinds)[table[:, 0]] == j)))
                      for j, kind in enumerate(("real", "synthetic"))}
              for k, split in enumerate(SPLITS)}
    extra = {"real_working_size": [h, w], "real_column_gap": g, "synthetic_margin": margin,
             "counts": counts,
             "sources": {n: list(arrays[f"left_{i}"].shape) for i, n in enumerate(names)}}
    return arrays, extra


def _is_complete(path: Path) -> bool:
    return generated_is_complete(path)


def build_stereo_embedded(
    root: str | os.PathLike | None = None, *, overwrite: bool = False, **params: Any
) -> Path:
    """Generate the embedded stereo set into its cache directory (unless there) and return it.

    ``params`` override :data:`DEFAULT_PARAMS`. Written to a temporary directory next to the
    target and renamed into place; a failure leaves nothing behind.
    """
    full = _resolve_params(params)

    def generate() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, extra = _generate(full)
        meta = {
            "name": "embedded stereo pairs",
            "version": VERSION,
            "params": full,
            "real_source": "skimage.data.stereo_motorcycle (Middlebury 2014 Motorcycle)",
            "disparity_convention": "right[y, x] = left[y, x + d[y, x]], d on the right grid",
            **extra,
        }
        return arrays, meta

    target = build_generated(stereo_embedded_dir(root, **params), generate, overwrite)
    log.info("embedded stereo set ready in %s", target)
    return target


@dataclass
class EmbeddedStereoSource:
    """The loaded arrays (names and shapes as in the module docstring)."""

    arrays: dict[str, np.ndarray]
    path: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.arrays["crop_split"])

    @property
    def crop(self) -> int:
        return int(self.meta["params"]["crop"])

    def window(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Crop i as (left, right) uint8 [c, c, 3] and disparity float32 [c, c] (None if real)."""
        src = int(self.arrays["crop_source"][i])
        y, x = (int(v) for v in self.arrays["crop_origin"][i])
        c = self.crop
        win = (slice(y, y + c), slice(x, x + c))
        disp = self.arrays.get(f"disparity_{src}")
        return (self.arrays[f"left_{src}"][win], self.arrays[f"right_{src}"][win],
                None if disp is None else disp[win])


def load_stereo_embedded(root: str | os.PathLike | None = None, **params: Any
                         ) -> EmbeddedStereoSource:
    """Load the embedded stereo set under ``root``, generating it first if missing or stale."""
    full = _resolve_params(params)
    path = stereo_embedded_dir(root, **params)
    if not _is_complete(path):
        build_stereo_embedded(root, **params)
    meta = json.loads((path / _META_FILE).read_text())
    if meta.get("version") != VERSION or meta.get("params") != full:
        build_stereo_embedded(root, overwrite=True, **params)
        meta = json.loads((path / _META_FILE).read_text())
    with np.load(path / _DATA_FILE, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return EmbeddedStereoSource(arrays=arrays, path=path, meta=meta)


def _chw(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div_(255.0)


class EmbeddedStereo(StereoDataset):
    """The embedded stereo set (module docstring): ``crop``×``crop`` pairs of one split.

    ``include``: "real", "synthetic" or "all"; ``root``: cache root (default
    ``$SPIKEVISION_CACHE`` or ``~/.cache/spikevision``); ``scale``: real-pair downscale
    (None = auto). Items are named ``<source>_y<y0>_x<x0>``; real crops come first, so
    ``limit`` keeps the first ``limit`` of them in that order.
    """

    def __init__(
        self,
        split: str = "train",
        crop: int = 64,
        root: str | os.PathLike | None = None,
        limit: int | None = None,
        include: str = "all",
        hflip: bool | None = None,
        scale: int | None = None,
    ) -> None:
        super().__init__(split, hflip)
        if include not in _INCLUDE:
            raise ValueError(f"include must be one of {list(_INCLUDE)}, got {include!r}")
        self.source = load_stereo_embedded(root, crop=crop, scale=scale)
        a = self.source.arrays
        kind = a["source_kind"][a["crop_source"]]
        mask = a["crop_split"] == SPLITS.index(split)
        if include != "all":
            mask &= kind == (0 if include == "real" else 1)
        self.crops = np.flatnonzero(mask)[:limit]
        self.include = include
        self.image_size = (int(crop), int(crop))

    def __len__(self) -> int:
        return len(self.crops)

    def origin(self, index: int) -> tuple[int, int]:
        """(y0, x0) of item ``index`` in its source's working image."""
        y, x = self.source.arrays["crop_origin"][self.crops[index]]
        return int(y), int(x)

    def source_name(self, index: int) -> str:
        return str(self.source.arrays["source_names"][
            self.source.arrays["crop_source"][self.crops[index]]])

    def disparity(self, index: int) -> torch.Tensor | None:
        """Disparity float32 [H, W] px of an unflipped synthetic item (None for real ones)."""
        d = self.source.window(int(self.crops[index]))[2]
        return None if d is None else torch.from_numpy(np.ascontiguousarray(d))

    def _pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        left, right, _ = self.source.window(int(self.crops[index]))
        y, x = self.origin(index)
        return _chw(left), _chw(right), f"{self.source_name(index)}_y{y:03d}_x{x:03d}"
