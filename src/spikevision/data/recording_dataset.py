"""Base dataset over a list of recordings: read → represent (cached) → item dict.

Every item is a dict with
- ``input``: ``float32 [T, C, H, W]`` representation (event frames / voxel grid / spike bins),
- ``label``: int class index, ``label_name``: str,
- ``image``: ``float32 [C_img, H, W]`` in [0, 1] when a ground-truth / HQ image exists,
- ``index``: int position in the dataset.

With ``on_device=True`` an item carries the parsed ``events`` instead of ``input``; the
DataModule's collate packs them and the representation is computed for the whole batch on the
training device (:meth:`EventRepresentation.batch_torch`), so dataloader workers only read files.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from spikevision.data.cache import ArrayCache, default_cache_root
from spikevision.errors import DatasetNotFoundError, EventFormatError
from spikevision.io.aedat2 import aedat2_body_bytes


@dataclass(frozen=True)
class Recording:
    """One sample on disk: the recording, its class, and an optional paired image file."""

    path: Path
    label: int
    image_path: Path | None = None


def load_image(path: str | Path, size: tuple[int, int] | None, grayscale: bool) -> torch.Tensor:
    """An image file as ``float32 [C, H, W]`` in [0, 1] (C = 1 if ``grayscale`` else 3),
    resized (bicubic) to ``size = (H, W)`` when given."""
    with Image.open(path) as img:
        img = img.convert("L" if grayscale else "RGB")
        if size is not None and img.size != (size[1], size[0]):
            img = img.resize((size[1], size[0]), Image.BICUBIC)
        arr = np.asarray(img, dtype=np.float32) / 255.0
    if arr.ndim == 2:
        arr = arr[None]
    else:
        arr = arr.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(arr))


def resize_representation(rep: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    """Area-resize ``[T, C, H, W]`` to ``size = (H', W')`` (identity when None or equal)."""
    if size is None or tuple(rep.shape[-2:]) == tuple(size):
        return rep
    return torch.nn.functional.interpolate(rep, size=tuple(size), mode="area")


def require_dir(root: str | Path | None, name: str, layout: str, source: str) -> Path:
    """``root`` as a Path if it is an existing directory, else a DatasetNotFoundError that
    states the expected layout and where the dataset is published."""
    if root is None or not Path(root).expanduser().is_dir():
        raise DatasetNotFoundError(
            f"{name} not found at '{root}'. Expected layout:\n{layout}\n"
            f"Download it from {source} and set the dataset's 'root' parameter to that folder."
        )
    return Path(root).expanduser()


HEADER_CHECK_BYTES = 1 << 20  # .aedat files up to this size have their header read (a header alone is KiBs)


def empty_reason(path: Path) -> str:
    """Why ``path`` holds no recording: ``'0-byte'``, ``'header-only'`` (an AER-DAT 2.0 header with
    no events after it), or ``''`` (not empty, missing, or unreadable: the reader reports it)."""
    if not path.is_file():
        return ""
    size = path.stat().st_size
    if size == 0:
        return "0-byte"
    if path.suffix.lower() == ".aedat" and size <= HEADER_CHECK_BYTES:
        try:
            return "header-only" if aedat2_body_bytes(path) == 0 else ""
        except EventFormatError:
            return ""
    return ""


def skip_empty_files(recordings: Sequence[Recording]) -> list[Recording]:
    """``recordings`` without the empty ones (0-byte files from a failed copy or extraction,
    ``.aedat`` files holding only a header), with one warning listing them, so nothing trains on
    them silently."""
    reasons = {r.path: empty_reason(r.path) for r in recordings}
    empty = [p for p, why in reasons.items() if why]
    if not empty:
        return list(recordings)
    kinds = [f"{n} {label}" for kind, label in (("0-byte", "empty (0-byte)"),
                                                ("header-only", "header-only (AER-DAT header, no events)"))
             if (n := sum(reasons[p] == kind for p in empty))]
    shown = ", ".join(map(str, empty[:10])) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
    warnings.warn(f"skipping {' and '.join(kinds)} recording file(s) of {len(recordings)}: {shown}",
                  stacklevel=3)
    skip = set(empty)
    return [r for r in recordings if r.path not in skip]


class RecordingDataset(Dataset):
    """Items from a list of :class:`Recording` via ``reader`` and ``representation``.

    ``reader(path) -> np.ndarray`` returns the parsed recording (events or spikes);
    ``representation(parsed) -> float32 [T, C, H, W]`` with a ``cache_key`` attribute.
    Representations are cached under ``cache_dir`` (default: the spikevision cache) so later
    epochs skip parsing; ``cache_dir=False`` disables the cache.
    """

    def __init__(
        self,
        recordings: Sequence[Recording],
        label_names: Sequence[str],
        reader: Callable[[Path], np.ndarray],
        representation: Any,
        size: tuple[int, int] | None = None,
        image_size: tuple[int, int] | None = None,
        grayscale: bool = True,
        cache_dir: str | Path | bool | None = None,
        target: Callable[[np.ndarray], np.ndarray] | None = None,
        target_key: str = "",
        on_device: bool = False,
        searched: str = "",
    ) -> None:
        where = f" (searched {searched})" if searched else ""
        if len(recordings) == 0:
            raise DatasetNotFoundError(f"the dataset split is empty: no recordings were found{where}; "
                                       "check the dataset's root, split and limit")
        recordings = skip_empty_files(recordings)
        if not recordings:
            raise DatasetNotFoundError(f"every recording of the dataset split is empty (0-byte, or an "
                                       f"AER-DAT header without events){where}; re-extract or re-download "
                                       "the dataset")
        self.recordings = list(recordings)
        self.label_names = list(label_names)
        self.reader = reader
        self.representation = representation
        self.size = tuple(size) if size is not None else None
        self.image_size = tuple(image_size) if image_size is not None else self.size
        self.grayscale = grayscale
        if cache_dir is False:
            self.cache = ArrayCache(None)
        else:
            root = default_cache_root() / "representations" if cache_dir in (None, True) else cache_dir
            self.cache = ArrayCache(root)
        self.target = target
        self.target_key = target_key
        if on_device and not hasattr(representation, "batch_torch"):
            raise ValueError(f"{type(representation).__name__} has no batched device implementation; "
                             "set on_device: false")
        self.on_device = on_device

    def __len__(self) -> int:
        return len(self.recordings)

    def _parsed(self, rec: Recording) -> np.ndarray:
        return self.reader(rec.path)

    def __getitem__(self, index: int) -> dict[str, Any]:
        rec = self.recordings[index]
        item: dict[str, Any] = {"label": rec.label, "label_name": self.label_names[rec.label], "index": index}
        memo: list[np.ndarray] = []

        def parsed() -> np.ndarray:  # read the file at most once per item, only on a cache miss
            if not memo:
                memo.append(self._parsed(rec))
            return memo[0]

        if self.on_device:
            item["events"] = self.cache.get_or_compute(ArrayCache.key_for(rec.path, "parsed"), parsed)
        else:
            key = ArrayCache.key_for(rec.path, self.representation.cache_key)
            rep = self.cache.get_or_compute(key, lambda: self.representation(parsed()))
            item["input"] = resize_representation(torch.from_numpy(np.asarray(rep, np.float32)), self.size)
        if rec.image_path is not None:
            item["image"] = load_image(rec.image_path, self.image_size, self.grayscale)
        elif self.target is not None:
            tkey = ArrayCache.key_for(rec.path, self.target_key)
            tgt = self.cache.get_or_compute(tkey, lambda: self.target(parsed()))
            img = torch.from_numpy(np.asarray(tgt, np.float32))[None, None]
            if self.image_size is not None:
                img = torch.nn.functional.interpolate(img, size=self.image_size, mode="area")
            item["image"] = img[0]
        return item
