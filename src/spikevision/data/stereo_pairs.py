"""Stereo-pair datasets: the shared item contract, preprocessing and the joint horizontal flip.

Every stereo dataset returns items ``{"left": float32 [3, H, W] in [0, 1], "right": same shape,
"index": int, "name": str}`` and has ``image_size = (H, W)``; ``split`` is one of
:data:`SPLITS`.

Preprocessing of file-based pairs (:class:`StereoPairDataset`) uses PIL: a centre crop of
``crop = (h, w)`` pixels (offsets ``(H - h) // 2`` and ``(W - w) // 2``), then a resize to
``size = (h, w)`` with ``Image.Resampling.BILINEAR``, which PIL antialiases when downscaling
(its filter support grows with the reduction factor). Presets (:data:`PRESETS`):

* ``"dhf"``: crop 370×370 → 128×128 (the DHF-JSCC seed, KITTI);
* ``"ndic"``: crop 370×740 → 128×256 (NDIC, DeepJSCC-WZ);
* ``"resize_128x256"``: the full frame resized to 128×256 (Cityscapes' 1024×2048 is 1:2);
* ``"none"``: full size, no resampling.

Explicit ``crop=[h, w]`` / ``size=[h, w]`` override the preset's values.

Joint flip: mirroring a rectified pair left-right turns the left camera into a right one, so
the flipped pair is ``new_left = flip(right)``, ``new_right = flip(left)`` (:func:`joint_hflip`).
With ``hflip=True`` it is applied with probability ``flip_p = 0.5`` per item, drawn from torch's
global RNG (which the DataLoader seeds differently in each worker).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from spikevision.errors import DatasetNotFoundError, StereoPairError

__all__ = [
    "SPLITS",
    "PRESETS",
    "check_split",
    "resolve_preprocess",
    "joint_hflip",
    "holdout",
    "load_rgb",
    "StereoDataset",
    "StereoPairDataset",
]

SPLITS = ("train", "validation", "test")
Size = tuple[int, int]
PRESETS: dict[str, tuple[Size | None, Size | None]] = {  # name -> (crop, size), both (H, W)
    "dhf": ((370, 370), (128, 128)),
    "ndic": ((370, 740), (128, 256)),
    "resize_128x256": (None, (128, 256)),
    "none": (None, None),
}


def check_split(split: str, dataset: str = "stereo dataset") -> str:
    """``split`` unchanged if it is one of :data:`SPLITS`, else a ValueError listing them."""
    if split not in SPLITS:
        raise ValueError(f"{dataset}: unknown split {split!r}; expected one of {list(SPLITS)}")
    return split


def _pair_of_ints(value: Sequence[int] | int | None, what: str) -> Size | None:
    if value is None:
        return None
    if isinstance(value, int):
        value = (value, value)
    hw = tuple(int(v) for v in value)
    if len(hw) != 2 or min(hw) <= 0:
        raise ValueError(f"{what} must be [height, width] with positive values, got {value!r}")
    return hw  # type: ignore[return-value]


def resolve_preprocess(
    preprocess: str, crop: Sequence[int] | int | None = None, size: Sequence[int] | int | None = None
) -> tuple[Size | None, Size | None]:
    """(crop, size) in (H, W) pixels for a preset name, with explicit values taking precedence."""
    if preprocess not in PRESETS:
        raise ValueError(f"unknown preprocess {preprocess!r}; expected one of {list(PRESETS)}")
    preset_crop, preset_size = PRESETS[preprocess]
    crop_hw = _pair_of_ints(crop, "crop") or preset_crop
    size_hw = _pair_of_ints(size, "size") or preset_size
    return crop_hw, size_hw


def joint_hflip(left: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror a rectified pair ``[..., H, W]``: returns ``(flip(right), flip(left))``."""
    return right.flip(-1), left.flip(-1)


def holdout(ids: Sequence[str], fraction: float, seed: int) -> set[str]:
    """A seeded random subset of ``ids`` of size ``round(fraction * n)`` (at least 1 and at most
    n - 1 when n >= 2 and fraction > 0); the draw depends only on the sorted ids and ``seed``."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"hold-out fraction must be in [0, 1), got {fraction}")
    unique = sorted(set(ids))
    n = len(unique)
    if n < 2 or fraction == 0.0:
        return set()
    k = min(max(round(fraction * n), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return {unique[i] for i in order[:k]}


def load_rgb(path: str | os.PathLike) -> Image.Image:
    """The image at ``path`` decoded as RGB; a missing, corrupt or truncated file raises a
    :class:`StereoPairError` naming it."""
    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise StereoPairError(f"cannot read image '{path}': {exc}") from exc


def _to_tensor(img: Image.Image) -> torch.Tensor:
    """PIL RGB image -> float32 [3, H, W] in [0, 1]."""
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


class StereoDataset(Dataset):
    """Base of all stereo datasets: the item dict and the joint flip.

    Subclasses set ``image_size`` and implement ``__len__`` and ``_pair(index)`` returning
    ``(left, right, name)`` with float32 ``[3, H, W]`` tensors in [0, 1].
    """

    flip_p: float = 0.5
    image_size: Size

    def __init__(self, split: str, hflip: bool | None) -> None:
        self.split = check_split(split, type(self).__name__)
        self.hflip = (split == "train") if hflip is None else bool(hflip)

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:  # pragma: no cover
        raise NotImplementedError

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {type(self).__name__} of {n} pairs")
        index = int(index) % n
        left, right, name = self._pair(index)
        if self.hflip and float(torch.rand(())) < self.flip_p:
            left, right = joint_hflip(left, right)
        return {"left": left, "right": right, "index": index, "name": name}


class StereoPairDataset(StereoDataset):
    """Stereo pairs stored as image files: ``pairs`` is a list of ``(left_path, right_path)``.

    Both views are decoded as RGB with PIL, must have the same size, and are preprocessed as
    described in the module docstring (``preprocess`` preset, optional ``crop`` / ``size`` in
    (H, W) pixels). With ``preprocess="none"`` and no ``size``, items keep their file size and
    ``image_size`` is that of the first pair (sizes may differ between pairs).
    """

    def __init__(
        self,
        pairs: Sequence[tuple[str | os.PathLike, str | os.PathLike]],
        split: str,
        names: Sequence[str] | None = None,
        preprocess: str = "none",
        crop: Sequence[int] | int | None = None,
        size: Sequence[int] | int | None = None,
        hflip: bool | None = None,
        limit: int | None = None,
    ) -> None:
        super().__init__(split, hflip)
        pairs = [(Path(a), Path(b)) for a, b in pairs][:limit]
        if not pairs:
            raise DatasetNotFoundError(f"{type(self).__name__}: split '{split}' has no pairs")
        self.pairs = pairs
        self.names = list(names)[: len(pairs)] if names is not None else [p[0].stem for p in pairs]
        self.crop, self.size = resolve_preprocess(preprocess, crop, size)
        self.preprocess = preprocess
        if self.size is not None:
            self.image_size = self.size
        elif self.crop is not None:
            self.image_size = self.crop
        else:
            try:
                with Image.open(pairs[0][0]) as img:  # header only
                    self.image_size = (img.height, img.width)
            except (OSError, SyntaxError, ValueError) as exc:
                raise StereoPairError(f"cannot read image '{pairs[0][0]}': {exc}") from exc

    def __len__(self) -> int:
        return len(self.pairs)

    def _prepare(self, img: Image.Image, path: Path) -> Image.Image:
        if self.crop is not None:
            ch, cw = self.crop
            if img.height < ch or img.width < cw:
                raise StereoPairError(
                    f"image '{path}' is {img.height}×{img.width} (H×W), smaller than the crop "
                    f"{ch}×{cw}; choose a smaller crop or preprocess='none'")
            top, left = (img.height - ch) // 2, (img.width - cw) // 2
            img = img.crop((left, top, left + cw, top + ch))
        if self.size is not None and (img.height, img.width) != self.size:
            img = img.resize((self.size[1], self.size[0]), Image.Resampling.BILINEAR)
        return img

    def _pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        left_path, right_path = self.pairs[index]
        left, right = load_rgb(left_path), load_rgb(right_path)
        if left.size != right.size:
            raise StereoPairError(
                f"stereo views differ in size: left '{left_path}' is {left.height}×{left.width}, "
                f"right '{right_path}' is {right.height}×{right.width} (H×W)")
        left_t = _to_tensor(self._prepare(left, left_path))
        right_t = _to_tensor(self._prepare(right, right_path))
        return left_t, right_t, self.names[index]
