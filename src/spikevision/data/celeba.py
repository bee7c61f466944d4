"""CelebA aligned faces (static images; used by the generators and as an HQ image folder).

Preprocessing (``preprocess``):

- ``reference`` (default): seed 002's — the full-width centred square of the 178×218 image
  (178×178, rows 20–197), bicubic resize to ``size``, a random horizontal flip in the train split
  (``hflip``), so FID is comparable with the paper's.
- ``tight_crop``: the earlier one — a centred ``crop``×``crop`` square (140, the face), area
  resize, no flip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from spikevision.data.recording_dataset import load_image, require_dir
from spikevision.data.square_images import load_square_image, random_flip
from spikevision.errors import DatasetNotFoundError
from spikevision.transforms import center_crop

CELEBA_LAYOUT = """  <root>/img_align_celeba/000001.jpg ... 202599.jpg
  <root>/list_eval_partition.txt   ('<file> <0|1|2>' = train/valid/test)"""
CELEBA_SOURCE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Align&Cropped Images + Eval/)"
SPLIT_CODES = {"train": "0", "validation": "1", "test": "2"}
PREPROCESS = ("reference", "tight_crop")


class CelebA(Dataset):
    """CelebA split as items ``{"input": [3, S, S], "image": [3, S, S], "label": 0, ...}``,
    ``S = size`` (64 by default), values in [0, 1], prepared per ``preprocess`` (module
    docstring); ``crop`` is the ``tight_crop`` square; ``hflip`` (default: the train split)
    mirrors half the items at random (``reference`` only)."""

    def __init__(
        self, root: str, split: str = "train", size: int = 64, crop: int = 140,
        limit: int | None = None, preprocess: str = "reference", hflip: bool | None = None,
    ) -> None:
        if preprocess not in PREPROCESS:
            raise ValueError(f"CelebA preprocess must be one of {PREPROCESS}, got '{preprocess}'")
        base = require_dir(root, "CelebA", CELEBA_LAYOUT, CELEBA_SOURCE)
        partition = base / "list_eval_partition.txt"
        images = base / "img_align_celeba"
        if not partition.is_file() or not images.is_dir():
            raise DatasetNotFoundError(
                f"CelebA at {base} lacks list_eval_partition.txt or img_align_celeba/. Expected:\n"
                f"{CELEBA_LAYOUT}\nDownload from {CELEBA_SOURCE}."
            )
        if split not in SPLIT_CODES:
            raise ValueError(f"CelebA split must be one of {list(SPLIT_CODES)}, got '{split}'")
        code = SPLIT_CODES[split]
        names = [ln.split()[0] for ln in partition.read_text().splitlines()
                 if len(ln.split()) == 2 and ln.split()[1] == code]
        self.files = [images / n for n in names][:limit]
        if not self.files:
            raise DatasetNotFoundError(f"CelebA split '{split}' is empty in {partition}")
        self.size, self.crop, self.preprocess = size, crop, preprocess
        self.hflip = (split == "train") if hflip is None else bool(hflip)
        self.label_names = ["face"]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if self.preprocess == "reference":
            img = load_square_image(self.files[index], self.size, random_flip(self.hflip))
        else:
            img = load_image(Path(self.files[index]), None, grayscale=False)
            img = center_crop(img, min(self.crop, *img.shape[-2:]))  # square, even in a small image
            img = torch.nn.functional.interpolate(img[None], size=(self.size, self.size), mode="area")[0]
        return {"input": img, "image": img, "label": 0, "label_name": "face", "index": index}
