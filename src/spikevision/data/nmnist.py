"""N-MNIST (Orchard et al. 2015): ATIS recordings of MNIST digits, 34×34, ``.bin`` files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spikevision.data.recording_dataset import Recording, RecordingDataset, require_dir
from spikevision.data.representation import EventRepresentation
from spikevision.io import read_events

NMNIST_LAYOUT = """  <root>/Train/<digit 0-9>/<5-digit id>.bin   (60000 files)
  <root>/Test/<digit 0-9>/<5-digit id>.bin    (10000 files)"""
NMNIST_SOURCE = "https://www.garrickorchard.com/datasets/n-mnist (Train.zip, Test.zip; unzip into root)"
DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


class NMNIST(RecordingDataset):
    """N-MNIST split ``train`` or ``test`` as ``[T, 2, 34, 34]`` event frames (or a voxel grid).

    ``limit`` keeps the first N files per class (quick experiments).
    """

    def __init__(
        self,
        root: str,
        split: str = "train",
        representation: dict[str, Any] | None = None,
        size: tuple[int, int] | None = None,
        limit: int | None = None,
        cache_dir: str | bool | None = None,
        on_device: bool = False,
    ) -> None:
        base = require_dir(root, "N-MNIST", NMNIST_LAYOUT, NMNIST_SOURCE)
        folder = {"train": "Train", "test": "Test", "validation": "Test"}.get(split)
        if folder is None:
            raise ValueError(f"N-MNIST split must be 'train' or 'test', got '{split}'")
        split_dir = require_dir(base / folder, f"N-MNIST {folder}/", NMNIST_LAYOUT, NMNIST_SOURCE)
        recordings = []
        for label in range(10):
            files = sorted((split_dir / str(label)).glob("*.bin"))[:limit]
            recordings += [Recording(Path(f), label) for f in files]
        rep = EventRepresentation(**{"height": 34, "width": 34, **(representation or {})})
        super().__init__(recordings, DIGIT_NAMES, read_events, rep, size=size, cache_dir=cache_dir,
                         on_device=on_device, searched=f"{split_dir}/<0-9>/*.bin")
