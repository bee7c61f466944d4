"""Square training images the way seed 002's code prepares them (guided-diffusion's
``center_crop_arr``): the centred square of the full shorter side, resized (bicubic, antialiased)
to ``size × size``, and a random horizontal flip for training. On a 178×218 CelebA image the
square is the full width, rows 20–197; on a 256×342 LSUN image, columns 43–298."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image


def square_crop_box(width: int, height: int) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the centred square of side ``min(width, height)``
    (PIL's crop box: right/bottom exclusive); offsets ``(W − s) // 2`` and ``(H − s) // 2``."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """A PIL image → ``float32 [C, H, W]`` in [0, 1]."""
    arr = np.asarray(img, dtype=np.float32) / 255.0
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(arr))


def load_square_image(path: str | Path, size: int, hflip: bool = False, grayscale: bool = False) -> torch.Tensor:
    """The image at ``path`` → ``float32 [3, size, size]`` (``[1, …]`` if ``grayscale``) in [0, 1]:
    centred square crop of the shorter side (:func:`square_crop_box`), bicubic resize, mirrored
    left–right when ``hflip``."""
    with Image.open(path) as img:
        img = img.convert("L" if grayscale else "RGB")
        img = img.crop(square_crop_box(*img.size))
        if img.size != (size, size):
            img = img.resize((size, size), Image.BICUBIC)
        if hflip:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        return pil_to_tensor(img)


def random_flip(enabled: bool) -> bool:
    """One fair coin from torch's global generator (seeded per DataLoader worker) when ``enabled``."""
    return bool(enabled and torch.rand(()) < 0.5)
