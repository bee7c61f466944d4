"""UHSR spike-camera recognition sets (U-Caltech, U-CIFAR): one ``.npz`` per real capture
with ``spk`` ``uint8 [200, 250, 250]`` and ``label`` (optionally ``label_name``).

There is no ground-truth image; the reconstruction target is a classical reconstruction of the
same spikes (``target='tfi'`` at the middle frame, or ``'tfp'`` over the whole stream).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from spikevision.data.recording_dataset import Recording, RecordingDataset, require_dir
from spikevision.data.representation import SpikeBinRepresentation
from spikevision.errors import DatasetNotFoundError
from spikevision.io import read_uhsr_npz
from spikevision.spikes import tfi, tfp

UHSR_LAYOUT = """  <root>/train/<id>.npz and <root>/test/<id>.npz, or all files in <root>/ (ids 0-4999 train,
  the rest test); each .npz has 'spk' uint8 [200, 250, 250] and 'label' (and maybe 'label_name')"""
UHSR_SOURCE = "the UHSR release (Evin-X/UHSR, AAAI 2024; U-CALTECH.zip / U-CIFAR.zip)"
U_CIFAR_CLASSES = ["frog", "horse", "dog", "truck", "airplane", "automobile", "bird", "ship", "cat",
                   "deer"]  # label order of the SpikeCLIP evaluation code
CROP = (13, 237)  # 250×250 → the central 224×224, as SpikeCLIP


def _numeric_id(path: Path) -> int:
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else -1


def read_cropped_spikes(path: Path) -> np.ndarray:
    """Spikes of a UHSR file, centre-cropped to 224×224: ``uint8 [200, 224, 224]``."""
    spk, _ = read_uhsr_npz(path)
    return spk[:, CROP[0] : CROP[1], CROP[0] : CROP[1]]


class SpikeTarget:
    """Classical reconstruction target of a spike stream, ``float32 [H, W]`` in [0, 1]."""

    def __init__(self, method: str = "tfi") -> None:
        if method not in ("tfi", "tfp"):
            raise ValueError(f"UHSR target must be 'tfi' or 'tfp', got '{method}'")
        self.method = method

    def __call__(self, spikes: np.ndarray) -> np.ndarray:
        if self.method == "tfp":
            return tfp(spikes, center=spikes.shape[0] // 2, window=spikes.shape[0])
        img = tfi(spikes, center=spikes.shape[0] // 2)
        peak = float(img.max())
        return img / peak if peak > 0 else img


class UHSR(RecordingDataset):
    """U-Caltech / U-CIFAR as ``[T, 1, 224, 224]`` spike-rate bins plus a TFI/TFP target image."""

    def __init__(
        self,
        root: str,
        split: str = "train",
        variant: str = "u-cifar",
        num_bins: int = 50,
        target: str = "tfi",
        size: tuple[int, int] | None = None,
        label_names: list[str] | None = None,
        train_count: int = 5000,
        limit: int | None = None,
        cache_dir: str | bool | None = None,
    ) -> None:
        base = require_dir(root, f"UHSR {variant}", UHSR_LAYOUT, UHSR_SOURCE)
        if split not in ("train", "test", "validation"):
            raise ValueError(f"UHSR split must be train/validation/test, got '{split}'")
        sub = base / ("train" if split == "train" else "test")
        if sub.is_dir():
            files = sorted(sub.glob("*.npz"), key=_numeric_id)
        else:
            files = sorted(base.glob("*.npz"), key=_numeric_id)
            files = [f for f in files if (_numeric_id(f) < train_count) == (split == "train")]
        files = files[:limit]
        if not files:
            raise DatasetNotFoundError(f"no .npz files for split '{split}' in {base}; expected layout:\n{UHSR_LAYOUT}")
        labels = [int(np.load(f)["label"]) for f in files]
        if label_names is None:
            if variant == "u-cifar":
                label_names = U_CIFAR_CLASSES
            else:
                label_names = self._names_from_files(files, labels)
        recordings = [Recording(f, lab) for f, lab in zip(files, labels)]
        super().__init__(
            recordings, label_names, read_cropped_spikes, SpikeBinRepresentation(num_bins),
            size=size, target=SpikeTarget(target), target_key=f"uhsr-target-{target}",
            cache_dir=cache_dir,
        )

    @staticmethod
    def _names_from_files(files: list[Path], labels: list[int]) -> list[str]:
        """Class names from the files' ``label_name`` entries (``class_<i>`` where absent)."""
        names: dict[int, str] = {}
        for f, lab in zip(files, labels):
            if lab not in names:
                with np.load(f) as z:
                    names[lab] = str(z["label_name"]) if "label_name" in z.files else f"class_{lab}"
        return [names.get(i, f"class_{i}") for i in range(max(labels) + 1)]


