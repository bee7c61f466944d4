"""Tiny fake copies of torchvision's on-disk dataset layouts, written by hand per each format:
MNIST-style IDX files and the CIFAR-10 python pickles (with a torchvision CIFAR10 subclass that
checks the fake files' MD5 sums instead of the real ones)."""

from __future__ import annotations

import gzip
import hashlib
import pickle
from pathlib import Path

import numpy as np
import torchvision

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def idx_bytes(array: np.ndarray) -> bytes:
    """``uint8`` ``[N]`` or ``[N, H, W]`` → IDX bytes: magic ``00 00 08 <ndim>`` (0x08 = unsigned
    byte), each dimension as a big-endian int32, then the values row-major."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def mnist_images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def write_idx_dataset(root: Path, folder: str, n_train: int = 5, n_test: int = 3, gz: bool = False) -> Path:
    """``root/<folder>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``; labels ``i % 10``."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", n_train, 1), ("t10k", n_test, 2)):
        for name, array in ((f"{prefix}-images-idx3-ubyte", mnist_images(n, seed)),
                            (f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)):
            data = idx_bytes(array)
            if gz:
                (raw / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (raw / name).write_bytes(data)
    return root


def cifar_batch(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "labels": [int(v) for v in rng.integers(0, 10, n)], "batch_label": f"fake {seed}"}


def write_cifar10(root: Path, per_batch: int = 2) -> dict[str, str]:
    """``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``; returns each file's MD5."""
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        (base / name).write_bytes(pickle.dumps(cifar_batch(per_batch, i)))
    (base / "batches.meta").write_bytes(pickle.dumps({"label_names": CIFAR10_NAMES, "num_vis": 3072}))
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in base.iterdir()}


class FakeChecksumsCIFAR10(torchvision.datasets.CIFAR10):
    """torchvision's CIFAR10, checking the MD5 sums of :func:`write_cifar10`'s files."""

    @classmethod
    def use_checksums(cls, md5: dict[str, str]) -> None:
        cls.train_list = [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)]
        cls.test_list = [["test_batch", md5["test_batch"]]]
        cls.meta = {**torchvision.datasets.CIFAR10.meta, "md5": md5["batches.meta"]}
