"""Any folder of images (searched recursively) as a dataset of ``{"image", "index"}`` items —
e.g. high-quality reference images for SpikeCLIP's prompt learning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from spikevision.data.recording_dataset import load_image, require_dir
from spikevision.errors import DatasetNotFoundError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class ImageFolder(Dataset):
    """Images under ``root`` as ``float32 [C, H, W]`` in [0, 1], resized to ``size`` (H, W)."""

    def __init__(self, root: str, size: tuple[int, int] | None = None, grayscale: bool = True,
                 limit: int | None = None) -> None:
        base = require_dir(root, "image folder", "  <root>/**/*.png|jpg|jpeg|bmp|tif", "any image collection")
        self.files = sorted(p for p in base.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
        if not self.files:
            raise DatasetNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {base}; expected layout:\n"
                                       "  <root>/**/*.png|jpg|jpeg|bmp|tif")
        self.size = tuple(size) if size is not None else None
        self.grayscale = grayscale

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"image": load_image(Path(self.files[index]), self.size, self.grayscale), "index": index}
