"""CIFAR10-DVS (Li et al. 2017): DVS128 recordings of CIFAR-10 images, AER-DAT 2.0 ``.aedat``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spikevision.data.recording_dataset import Recording, RecordingDataset, require_dir
from spikevision.data.representation import EventRepresentation
from spikevision.io import read_events

CIFAR10DVS_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
CIFAR10DVS_LAYOUT = """  <root>/<class>/cifar10_<class>_<0..999>.aedat   (10 classes × 1000 files)"""
CIFAR10DVS_SOURCE = "https://figshare.com/articles/dataset/CIFAR10-DVS_New/4724671 (unzip each class)"


def file_index(path: Path) -> int:
    """The trailing integer of ``cifar10_<class>_<i>.aedat``."""
    try:
        return int(path.stem.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        raise ValueError(f"unexpected CIFAR10-DVS file name {path.name}") from None


class CIFAR10DVS(RecordingDataset):
    """CIFAR10-DVS as ``[T, C, 128, 128]``; no official split: indices < ``test_count`` of each
    class form the test set (the common convention, 100), the rest train."""

    def __init__(
        self,
        root: str,
        split: str = "train",
        representation: dict[str, Any] | None = None,
        size: tuple[int, int] | None = None,
        test_count: int = 100,
        limit: int | None = None,
        cache_dir: str | bool | None = None,
        on_device: bool = False,
    ) -> None:
        base = require_dir(root, "CIFAR10-DVS", CIFAR10DVS_LAYOUT, CIFAR10DVS_SOURCE)
        if split not in ("train", "test", "validation"):
            raise ValueError(f"CIFAR10-DVS split must be train/validation/test, got '{split}'")
        recordings = []
        for label, name in enumerate(CIFAR10DVS_CLASSES):
            folder = require_dir(base / name, f"CIFAR10-DVS class '{name}'", CIFAR10DVS_LAYOUT,
                                 CIFAR10DVS_SOURCE)
            files = sorted(folder.glob("*.aedat"), key=file_index)
            chosen = [f for f in files if (file_index(f) < test_count) == (split != "train")]
            recordings += [Recording(f, label) for f in chosen[:limit]]
        rep = EventRepresentation(**{"height": 128, "width": 128, **(representation or {})})
        super().__init__(recordings, CIFAR10DVS_CLASSES, read_events, rep, size=size,
                         cache_dir=cache_dir, on_device=on_device,
                         searched=f"{base}/<class>/*.aedat, split '{split}' (test: index < {test_count})")
