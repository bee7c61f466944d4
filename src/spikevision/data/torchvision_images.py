"""MNIST, FashionMNIST and CIFAR-10 from torchvision's on-disk layouts (``download=False``: nothing
is fetched at run time; a missing folder raises :class:`DatasetNotFoundError` with the layout).

Items ``{"input": [C, S, S], "image": [C, S, S], "label", "label_name", "index"}`` in [0, 1],
bicubic-resized to ``size`` (64 by default: seed 002's 16× encoder then gives a 4×4 code grid, as
its 64×64 CelebA and N-MNIST configs); grey digits are repeated to ``channels = 3`` so the RGB
image stack (LPIPS, FID's Inception) applies unchanged (``channels: 1`` keeps one). ``split``:
``train`` or ``test`` (the official splits; ``validation`` is the test split, as these datasets
have no other held-out set). No augmentation (the reference's CIFAR-10 loader has none either).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any, ClassVar

import torchvision
from PIL import Image
from torch.utils.data import Dataset

from spikevision.atomic_write import atomic_write_bytes
from spikevision.data.nmnist import DIGIT_NAMES
from spikevision.data.recording_dataset import require_dir
from spikevision.data.square_images import pil_to_tensor
from spikevision.errors import DatasetNotFoundError

SPLITS = ("train", "validation", "test")
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")


class TorchvisionImages(Dataset):
    """Shared wrapper (see the module docstring); subclasses name the torchvision class, the
    files it needs under ``root`` and where the dataset is published."""

    torchvision_class: ClassVar[type]
    name: ClassVar[str]
    layout: ClassVar[str]
    source: ClassVar[str]

    def __init__(self, root: str, split: str = "train", size: int = 64, channels: int = 3,
                 limit: int | None = None) -> None:
        if split not in SPLITS:
            raise ValueError(f"{self.name} split must be one of {SPLITS}, got '{split}'")
        if channels not in (1, 3):
            raise ValueError(f"{self.name} channels must be 1 or 3, got {channels}")
        base = require_dir(root, self.name, self.layout, self.source)
        self.prepare(base)
        try:
            self.data = self.torchvision_class(str(base), train=split == "train", download=False)
        except RuntimeError as err:  # e.g. CIFAR-10's MD5 check: a corrupted file or another version
            raise DatasetNotFoundError(
                f"{self.name} at {base}: torchvision refused the files ({err}). Expected layout:\n"
                f"{self.layout}\nDownload it again from {self.source}.") from None
        self.size, self.channels = size, channels
        self.count = len(self.data) if limit is None else min(limit, len(self.data))
        self.label_names = self.class_names()

    def missing(self, base: Path) -> list[Path]:
        """Files of the layout absent under ``base``."""
        raise NotImplementedError

    def prepare(self, base: Path) -> None:
        """Check the layout under ``base`` (one line naming the first missing file and the layout)."""
        missing = self.missing(base)
        if missing:
            raise DatasetNotFoundError(
                f"{self.name} at {base} lacks {missing[0]}"
                f"{f' (and {len(missing) - 1} more files)' if len(missing) > 1 else ''}. Expected layout:\n"
                f"{self.layout}\nDownload it from {self.source} (nothing is downloaded at run time).")

    def class_names(self) -> list[str]:
        return list(self.data.classes)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not 0 <= index < self.count:
            raise IndexError(f"{self.name} index {index} out of range (length {self.count})")
        pil, label = self.data[index]
        pil = pil.convert("L" if self.channels == 1 else "RGB")
        if pil.size != (self.size, self.size):
            pil = pil.resize((self.size, self.size), Image.BICUBIC)
        img = pil_to_tensor(pil)
        return {"input": img, "image": img, "label": int(label), "label_name": self.label_names[label],
                "index": index}


class _IdxImages(TorchvisionImages):
    """MNIST-style IDX files under ``<root>/<folder>/raw``; gzipped ones are unpacked once beside
    them (as torchvision's own download step does), without any network access."""

    folder: ClassVar[str]

    def missing(self, base: Path) -> list[Path]:
        raw = base / self.folder / "raw"
        out = []
        for name in IDX_FILES:
            plain, packed = raw / name, raw / f"{name}.gz"
            if not plain.is_file() and packed.is_file():
                with gzip.open(packed, "rb") as fh:
                    atomic_write_bytes(plain, fh.read(), fsync=False)
            if not plain.is_file():
                out.append(plain)
        return out


def _idx_layout(folder: str) -> str:
    return "\n".join(f"  <root>/{folder}/raw/{name}[.gz]" for name in IDX_FILES)


class MNIST(_IdxImages):
    """MNIST handwritten digits (28×28 grey, 60,000 train / 10,000 test)."""

    torchvision_class = torchvision.datasets.MNIST
    name, folder = "MNIST", "MNIST"
    layout = _idx_layout("MNIST")
    source = ("https://yann.lecun.com/exdb/mnist/ or torchvision.datasets.MNIST(root, download=True) "
              "on a machine with network")

    def class_names(self) -> list[str]:
        return list(DIGIT_NAMES)


class FashionMNIST(_IdxImages):
    """Fashion-MNIST clothing images (28×28 grey, 60,000 train / 10,000 test)."""

    torchvision_class = torchvision.datasets.FashionMNIST
    name, folder = "FashionMNIST", "FashionMNIST"
    layout = _idx_layout("FashionMNIST")
    source = ("https://github.com/zalandoresearch/fashion-mnist or "
              "torchvision.datasets.FashionMNIST(root, download=True) on a machine with network")


CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")


class CIFAR10(TorchvisionImages):
    """CIFAR-10 (32×32 RGB, 50,000 train / 10,000 test), the python pickles; torchvision checks
    each file's MD5."""

    torchvision_class = torchvision.datasets.CIFAR10
    name = "CIFAR-10"
    layout = "\n".join(f"  <root>/cifar-10-batches-py/{name}" for name in CIFAR10_FILES)
    source = ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (unpacked) or "
              "torchvision.datasets.CIFAR10(root, download=True) on a machine with network")

    def missing(self, base: Path) -> list[Path]:
        return [base / "cifar-10-batches-py" / n for n in CIFAR10_FILES
                if not (base / "cifar-10-batches-py" / n).is_file()]


__all__ = ["CIFAR10", "FashionMNIST", "MNIST", "TorchvisionImages"]
