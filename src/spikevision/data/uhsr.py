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
from spikevision.errors import ConfigError, DatasetNotFoundError
from spikevision.io import read_uhsr_npz
from spikevision.io.uhsr_npz import read_uhsr_label, read_uhsr_label_name
from spikevision.spikes import tfi, tfp
from spikevision.transforms import center_crop

UHSR_LAYOUT = """  <root>/train/<id>.npz and <root>/test/<id>.npz, or all files in <root>/ (ids 0-4999 train,
  the rest test); each .npz has 'spk' uint8 [200, 250, 250] and 'label' (and maybe 'label_name')"""
UHSR_SOURCE = "the UHSR release (Evin-X/UHSR, AAAI 2024; U-CALTECH.zip / U-CIFAR.zip)"
U_CIFAR_CLASSES = ["frog", "horse", "dog", "truck", "airplane", "automobile", "bird", "ship", "cat",
                   "deer"]  # label order of the SpikeCLIP evaluation code
UHSR_VARIANTS = ("u-cifar", "u-caltech")
CROP_SIZE = 224  # 250×250 → the central 224×224 (rows and columns 13:237), as SpikeCLIP


def _numeric_id(path: Path) -> int:
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else -1


def read_cropped_spikes(path: Path) -> np.ndarray:
    """Spikes of a UHSR file, centre-cropped to 224×224: ``uint8 [200, 224, 224]``."""
    spk, _ = read_uhsr_npz(path)
    return center_crop(spk, CROP_SIZE)


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
        if variant not in UHSR_VARIANTS:
            raise ConfigError(f"UHSR variant must be one of {UHSR_VARIANTS}, got '{variant}'")
        labels = [read_uhsr_label(f) for f in files]
        if label_names is None:
            if variant == "u-cifar":
                label_names = U_CIFAR_CLASSES
            else:
                label_names = self._names_from_files(files, labels)
        top = max(labels)
        if top >= len(label_names):
            bad = next(f for f, lab in zip(files, labels) if lab == top)
            fits = " (U-Caltech has 101 classes): set variant: u-caltech" if variant == "u-cifar" else (
                ": pass label_names with one name per class")
            raise ConfigError(
                f"UHSR variant '{variant}' has {len(label_names)} classes but {bad} has label {top}"
                f"{fits}")
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
                stored = read_uhsr_label_name(f)
                names[lab] = class_from_label_name(stored) if stored else f"class_{lab}"
        return [names.get(i, f"class_{i}") for i in range(max(labels) + 1)]

    def spike_frames(self, index: int) -> np.ndarray:
        """The (cropped) spike frames ``uint8 [S, H, W]`` behind item ``index`` (for TFP/TFI baselines)."""
        return self._parsed(self.recordings[index])


def class_from_label_name(stored: str) -> str:
    """The class of a UHSR ``label_name`` entry, which real files fill with the source image's
    file name: ``'4144_helicopter.jpg'`` → ``'helicopter'``, ``'0012_car_side.png'`` →
    ``'car_side'``; a plain class name is returned unchanged."""
    stem = Path(stored.strip()).stem if re.search(r"\.(jpe?g|png|bmp)$", stored.strip(), re.I) else stored.strip()
    return re.sub(r"^\d+[_\-\s]+", "", stem) or stem


