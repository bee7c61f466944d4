"""LSUN Bedroom as exported image files, and seed 002's 20 % subset of it.

LSUN is distributed as LMDB databases (``bedroom_train_lmdb/``); reading them needs the ``lmdb``
package, which spikevision does not depend on, so it reads the common exported layout instead: a
folder of JPEG/PNG/WebP files searched recursively (``python lsun/data.py export
bedroom_train_lmdb --out_dir <root>`` from https://github.com/fyu/lsun, or the Kaggle sample
``jhoward/lsun_bedroom``). Subset and splits are deterministic: the sorted file list is permuted
by ``numpy.random.default_rng(subset_seed)``; its first ``round(fraction · N)`` files are the
subset, whose first ``val_count`` files validate and the rest train. The Kaggle sample is already
a 20 % sample (the paper's source): use it with ``fraction: 1.0``.

Images: the centred square of the shorter side, bicubic-resized to ``size`` (256), a random
horizontal flip in the train split (seed 002's ``center_crop_arr`` + flip).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from spikevision.data.image_folder import ImageFolder
from spikevision.data.recording_dataset import require_dir
from spikevision.data.square_images import load_square_image, random_flip
from spikevision.errors import DatasetNotFoundError

LSUN_LAYOUT = """  <root>/**/*.jpg|png|webp   (exported images, any sub-folders)
  (not the LMDB <root>/bedroom_train_lmdb/data.mdb: export it with fyu/lsun's `data.py export`)"""
LSUN_SOURCE = ("https://github.com/fyu/lsun (download.py -c bedroom, then data.py export) or "
               "https://www.kaggle.com/datasets/jhoward/lsun_bedroom (already a 20 % sample: fraction=1.0)")
SPLITS = ("train", "validation")


def subset_files(files: list[Path], fraction: float, seed: int, val_count: int, split: str) -> list[Path]:
    """The ``split`` files of the seeded subset (module docstring); ``files`` must be sorted."""
    if not 0 < fraction <= 1:
        raise ValueError(f"LSUN fraction must be in (0, 1], got {fraction}")
    order = np.random.default_rng(seed).permutation(len(files))
    subset = order[:max(1, round(fraction * len(files)))]
    if not 0 <= val_count < len(subset):
        raise ValueError(f"LSUN val_count {val_count} leaves no training images in a subset of {len(subset)}")
    chosen = subset[:val_count] if split == "validation" else subset[val_count:]
    return [files[i] for i in chosen]


class LSUNBedroom(Dataset):
    """Items ``{"input": [3, S, S], "image": [3, S, S], "label": 0, "label_name": "bedroom",
    "index"}`` in [0, 1], ``S = size``; ``hflip`` defaults to the train split."""

    def __init__(self, root: str, split: str = "train", size: int = 256, fraction: float = 0.2,
                 subset_seed: int = 42, val_count: int = 1000, hflip: bool | None = None,
                 limit: int | None = None) -> None:
        if split not in SPLITS:
            raise ValueError(f"LSUNBedroom split must be one of {SPLITS}, got '{split}'")
        base = require_dir(root, "LSUN Bedroom", LSUN_LAYOUT, LSUN_SOURCE)
        lmdb = next(iter(sorted(base.glob("*/data.mdb")) + sorted(base.glob("data.mdb"))), None)
        try:
            files = ImageFolder(str(base), grayscale=False).files  # sorted, recursive
        except DatasetNotFoundError:
            hint = f" ({lmdb} is an LMDB database: export it to images first)" if lmdb else ""
            raise DatasetNotFoundError(f"LSUN Bedroom: no images under {base}{hint}. Expected layout:\n"
                                       f"{LSUN_LAYOUT}\nGet it from {LSUN_SOURCE}.") from None
        self.files = subset_files(files, fraction, subset_seed, val_count, split)[:limit]
        self.size = size
        self.hflip = (split == "train") if hflip is None else bool(hflip)
        self.label_names = ["bedroom"]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        img = load_square_image(self.files[index], self.size, random_flip(self.hflip))
        return {"input": img, "image": img, "label": 0, "label_name": "bedroom", "index": index}
