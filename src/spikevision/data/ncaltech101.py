"""N-Caltech101 (Orchard et al. 2015): ATIS saccade recordings of Caltech101 images (≤240×180).

The file index matches the RGB Caltech101 image ``101_ObjectCategories/<class>/image_NNNN.jpg``,
which serves as the ground-truth / HQ image when ``image_root`` is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from spikevision.data.recording_dataset import Recording, RecordingDataset, require_dir
from spikevision.data.representation import EventRepresentation
from spikevision.errors import DatasetNotFoundError
from spikevision.io import read_events

NCALTECH_LAYOUT = """  <root>/<class name>/image_NNNN.bin      (101 folders incl. BACKGROUND_Google, 8709 files)
  optional HQ images: <image_root>/<class name>/image_NNNN.jpg   (Caltech101 101_ObjectCategories)"""
NCALTECH_SOURCE = (
    "https://www.garrickorchard.com/datasets/n-caltech101 (Caltech101.zip); RGB images from "
    "https://data.caltech.edu/records/mzrjq-6wc02 (101_ObjectCategories)"
)


VAL_SEED_OFFSET = 1_000_003  # the validation draw's seed differs from every class's test draw


def split_indices(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic shuffled train/test index split of ``range(n)``."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


class NCaltech101(RecordingDataset):
    """N-Caltech101 events (sensor 240×180) as ``[T, C, H, W]``, resized to ``size``.

    No official split exists: a seeded per-class split with ``test_fraction`` gives ``test``;
    ``validation`` is a seeded ``val_fraction`` (default 10 %) of each class's training part,
    held out of ``train``, so model selection never sees test data. The test split does not
    depend on ``val_fraction``. ``include_background`` keeps the ``BACKGROUND_Google`` class.
    """

    def __init__(
        self,
        root: str,
        split: str = "train",
        image_root: str | None = None,
        representation: dict[str, Any] | None = None,
        size: tuple[int, int] | None = (128, 128),
        test_fraction: float = 0.2,
        seed: int = 0,
        val_fraction: float = 0.1,
        include_background: bool = False,
        grayscale: bool = True,
        limit: int | None = None,
        cache_dir: str | bool | None = None,
        on_device: bool = False,
    ) -> None:
        base = require_dir(root, "N-Caltech101", NCALTECH_LAYOUT, NCALTECH_SOURCE)
        images = (
            require_dir(image_root, "Caltech101 images", NCALTECH_LAYOUT, NCALTECH_SOURCE)
            if image_root
            else None
        )
        classes = sorted(p.name for p in base.iterdir() if p.is_dir())
        if not include_background:
            classes = [c for c in classes if c != "BACKGROUND_Google"]
        if not classes:
            raise DatasetNotFoundError(f"no class folders in {base}; expected layout:\n{NCALTECH_LAYOUT}")
        if split not in ("train", "test", "validation"):
            raise ValueError(f"N-Caltech101 split must be train/validation/test, got '{split}'")
        if not 0 <= val_fraction < 1:
            raise ValueError(f"N-Caltech101 val_fraction must be in [0, 1), got {val_fraction}")
        recordings = []
        for label, name in enumerate(classes):
            files = sorted((base / name).glob("*.bin"))
            train_idx, test_idx = split_indices(len(files), test_fraction, seed + label)
            fit_idx, val_idx = split_indices(len(train_idx), val_fraction, seed + label + VAL_SEED_OFFSET)
            chosen = {"train": train_idx[fit_idx], "validation": train_idx[val_idx], "test": test_idx}[split]
            for i in chosen[:limit]:
                f = files[i]
                img = images / name / f.with_suffix(".jpg").name if images else None
                if img is not None and not img.is_file():
                    raise DatasetNotFoundError(f"paired image {img} for {f} is missing; expected layout:\n"
                                               f"{NCALTECH_LAYOUT}")
                recordings.append(Recording(f, label, img))
        rep = EventRepresentation(**{"height": 180, "width": 240, **(representation or {})})
        super().__init__(
            recordings, classes, read_events, rep, size=size, grayscale=grayscale, cache_dir=cache_dir,
            on_device=on_device, searched=f"{base}/<class>/*.bin, split '{split}'",
        )
