"""Every dataset class against the dataset contract (``tests/dataset_contract.py``), on fake data
in each dataset's real on-disk layout (or its embedded/generated data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from dataset_contract import DatasetContract
from fake_torchvision_data import (
    CIFAR10_NAMES,
    FakeChecksumsCIFAR10,
    write_cifar10,
    write_idx_dataset,
)
from spikevision.data.celeba import CelebA
from spikevision.data.cifar10dvs import CIFAR10DVS, CIFAR10DVS_CLASSES
from spikevision.data.image_folder import ImageFolder
from spikevision.data.lsun import LSUNBedroom
from spikevision.data.ncaltech101 import NCaltech101
from spikevision.data.ndigits import NDigits
from spikevision.data.ndigits_source import LABEL_NAMES
from spikevision.data.nmnist import DIGIT_NAMES, NMNIST
from spikevision.data.spike_pairs import SpikePairs
from spikevision.data.spike_pairs_builder import build_spike_pairs
from spikevision.data.stereo_embedded import EmbeddedStereo
from spikevision.data.stereo_folders import CityscapesStereo, InStereo2K, KITTIStereo2015
from spikevision.data.torchvision_images import CIFAR10, MNIST, FashionMNIST
from spikevision.data.uhsr import U_CIFAR_CLASSES, UHSR
from spikevision.io import make_events, write_events, write_uhsr_npz

# ----------------------------------------------------------------------------- fake data writers


def _events(seed: int, n: int, width: int, height: int, duration_us: int = 100_000):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, duration_us, n))
    return make_events(rng.integers(0, width, n), rng.integers(0, height, n), t, rng.integers(0, 2, n))


def _image(path: Path, height: int, width: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
    return path


# ----------------------------------------------------------------------------- event cameras


class TestNMNISTContract(DatasetContract):
    dataset_class = NMNIST
    params = {"split": "train", "cache_dir": False}
    expected_len = 3
    expected_keys = frozenset({"input", "label", "label_name", "index"})
    expected_shapes = {"input": (4, 2, 34, 34)}
    label_names = DIGIT_NAMES

    def make_root(self, tmp_path):
        for split, files in (("Train", {0: 2, 7: 1}), ("Test", {3: 1})):
            for digit, count in files.items():
                for k in range(count):
                    path = tmp_path / split / str(digit) / f"{10 * digit + k:05d}.bin"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    write_events(path, _events(10 * digit + k, 400, 34, 34))
        return tmp_path


class TestNCaltech101Contract(DatasetContract):
    dataset_class = NCaltech101
    params = {"split": "train", "size": (48, 64), "test_fraction": 0.4, "cache_dir": False}
    expected_len = 6  # 2 classes (BACKGROUND_Google excluded) x 3 of 5 files
    expected_keys = frozenset({"input", "image", "label", "label_name", "index"})
    expected_shapes = {"input": (4, 2, 48, 64), "image": (1, 48, 64)}
    unit_range_keys = ("image",)
    label_names = ["accordion", "yin_yang"]

    def make_root(self, tmp_path):
        for c, name in enumerate(("accordion", "BACKGROUND_Google", "yin_yang")):
            (tmp_path / "events" / name).mkdir(parents=True)
            for i in range(1, 6):
                write_events(tmp_path / "events" / name / f"image_{i:04d}.bin",
                             _events(10 * c + i, 300, 240, 180))
                _image(tmp_path / "images" / name / f"image_{i:04d}.jpg", 30, 40, 10 * c + i)
        return tmp_path

    def params_for(self, root):
        return {**self.params, "root": str(root / "events"), "image_root": str(root / "images")}



class TestCIFAR10DVSContract(DatasetContract):
    dataset_class = CIFAR10DVS
    params = {"split": "train", "cache_dir": False}
    expected_len = 10  # one file per class with index >= test_count
    expected_keys = frozenset({"input", "label", "label_name", "index"})
    expected_shapes = {"input": (4, 2, 128, 128)}
    label_names = CIFAR10DVS_CLASSES

    def make_root(self, tmp_path):
        for c, name in enumerate(CIFAR10DVS_CLASSES):
            (tmp_path / name).mkdir()
            for i in (5, 150):  # 5 -> test, 150 -> train
                write_events(tmp_path / name / f"cifar10_{name}_{i}.aedat", _events(c + i, 200, 128, 128))
        return tmp_path


# ----------------------------------------------------------------------------- spike camera


class TestUHSRContract(DatasetContract):
    dataset_class = UHSR
    params = {"split": "train", "train_count": 2, "num_bins": 50, "cache_dir": False}
    expected_len = 2
    expected_keys = frozenset({"input", "image", "label", "label_name", "index"})
    expected_shapes = {"input": (50, 1, 224, 224), "image": (1, 224, 224)}
    unit_range_keys = ("input", "image")
    label_names = U_CIFAR_CLASSES

    def make_root(self, tmp_path):
        for i, label in enumerate((2, 7, 4)):  # files 0, 1 -> train, 2 -> test
            spikes = (np.random.default_rng(i).random((200, 250, 250)) < 0.05).astype(np.uint8)
            write_uhsr_npz(tmp_path / f"{i}.npz", spikes, label=label)
        return tmp_path



class TestSpikePairsContract(DatasetContract):
    dataset_class = SpikePairs
    params = {"split": "train", "augment": False}
    expected_len = 5  # 40 frames / window 8; val_fraction 0.05 of 5 rounds to 0
    expected_keys = frozenset({"input", "image", "label", "label_name", "index"})
    expected_shapes = {"input": (8, 1, 16, 16), "image": (1, 16, 16)}
    unit_range_keys = ("input", "image")
    label_names = None  # items carry label 0 / label_name "scene" but there is no class list

    def make_root(self, tmp_path):
        ramp = np.linspace(0.1, 0.9, 40, dtype=np.float32)[:, None, None]
        frames = np.broadcast_to(ramp, (40, 16, 16)).copy()
        return build_spike_pairs([frames], tmp_path / "pairs", window=8, size=(16, 16), seed=1,
                                 progress=False)


class TestNDigitsContract(DatasetContract):
    dataset_class = NDigits
    fixtures = ("ndigits",)  # the session-wide generated cache
    params = {"split": "validation", "modality": "events", "limit": 20}
    expected_len = 20
    expected_keys = frozenset({"input", "image", "label", "label_name", "index"})
    expected_shapes = {"input": (4, 2, 34, 34), "image": (1, 34, 34)}
    unit_range_keys = ("image",)
    label_names = list(LABEL_NAMES)
    missing_root_params = None  # embedded: root is a cache folder


# ----------------------------------------------------------------------------- images


class TestCelebAContract(DatasetContract):
    dataset_class = CelebA
    params = {"split": "train", "size": 32}
    determinism_params = {"hflip": False}
    expected_len = 2
    expected_keys = frozenset({"input", "image", "label", "label_name", "index"})
    expected_shapes = {"input": (3, 32, 32), "image": (3, 32, 32)}
    layouts = {"input": "CHW"}  # a static-image dataset: the input is the image
    unit_range_keys = ("input", "image")
    label_names = ["face"]

    def make_root(self, tmp_path):
        lines = []
        for i in range(1, 5):
            _image(tmp_path / "img_align_celeba" / f"{i:06d}.jpg", 218, 178, i)
            lines.append(f"{i:06d}.jpg {0 if i < 3 else 2}")
        (tmp_path / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
        return tmp_path


class TestCelebATightCropContract(TestCelebAContract):
    params = {"split": "train", "size": 32, "preprocess": "tight_crop"}
    determinism_params = {}


class TestLSUNBedroomContract(DatasetContract):
    dataset_class = LSUNBedroom
    params = {"split": "train", "size": 32, "fraction": 0.5, "val_count": 2}
    determinism_params = {"hflip": False}
    expected_len = 4  # round(0.5 × 12) = 6 in the subset, 2 of them validate
    expected_keys = frozenset({"input", "image", "label", "label_name", "index"})
    expected_shapes = {"input": (3, 32, 32), "image": (3, 32, 32)}
    layouts = {"input": "CHW"}
    unit_range_keys = ("input", "image")
    label_names = ["bedroom"]

    def make_root(self, tmp_path):
        for i in range(12):  # exported layouts nest the files in folders
            h, w = (256, 342) if i % 2 else (300, 256)
            _image(tmp_path / str(i % 3) / f"{i:04x}" / f"img{i}.jpg", h // 8, w // 8, i)
        return tmp_path


class _TorchvisionContract(DatasetContract):
    params = {"split": "train", "size": 32}
    expected_len = 5
    expected_keys = frozenset({"input", "image", "label", "label_name", "index"})
    expected_shapes = {"input": (3, 32, 32), "image": (3, 32, 32)}
    layouts = {"input": "CHW"}
    unit_range_keys = ("input", "image")


class TestMNISTContract(_TorchvisionContract):
    dataset_class = MNIST
    label_names = DIGIT_NAMES

    def make_root(self, tmp_path):
        return write_idx_dataset(tmp_path, "MNIST")


class TestFashionMNISTContract(_TorchvisionContract):
    dataset_class = FashionMNIST
    label_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]

    def make_root(self, tmp_path):
        return write_idx_dataset(tmp_path, "FashionMNIST", gz=True)  # only the .gz files, as downloaded


class CIFAR10WithFakeChecksums(CIFAR10):
    torchvision_class = FakeChecksumsCIFAR10


class TestCIFAR10Contract(_TorchvisionContract):
    dataset_class = CIFAR10WithFakeChecksums
    expected_len = 10  # 5 training batches of 2
    label_names = CIFAR10_NAMES

    def make_root(self, tmp_path):
        FakeChecksumsCIFAR10.use_checksums(write_cifar10(tmp_path))
        return tmp_path


class TestImageFolderContract(DatasetContract):
    dataset_class = ImageFolder
    params = {"size": (20, 24)}
    expected_len = 3
    expected_keys = frozenset({"image", "index"})
    expected_shapes = {"image": (1, 20, 24)}
    unit_range_keys = ("image",)

    def make_root(self, tmp_path):
        _image(tmp_path / "a" / "x.png", 30, 40, 0)
        _image(tmp_path / "a" / "y.jpg", 20, 24, 1)
        _image(tmp_path / "b" / "z.bmp", 10, 12, 2)
        (tmp_path / "b" / "notes.txt").write_text("not an image")
        return tmp_path



# ----------------------------------------------------------------------------- stereo

STEREO_KEYS = frozenset({"left", "right", "index", "name"})


class TestEmbeddedStereoContract(DatasetContract):
    dataset_class = EmbeddedStereo
    params = {"split": "validation"}  # no random flip outside train
    expected_len = 80  # the documented count at the defaults (crop 64)
    expected_keys = STEREO_KEYS
    expected_shapes = {"left": (3, 64, 64), "right": (3, 64, 64)}
    unit_range_keys = ("left", "right")
    missing_root_params = None  # embedded: generated into the session cache on first use


class TestKITTIStereo2015Contract(DatasetContract):
    dataset_class = KITTIStereo2015
    params = {"split": "train", "preprocess": "none", "hflip": False}
    expected_len = 18  # 10 scenes x 2 frames, one scene held out for validation
    expected_keys = STEREO_KEYS
    expected_shapes = {"left": (3, 12, 16), "right": (3, 12, 16)}
    unit_range_keys = ("left", "right")

    def make_root(self, tmp_path):
        base = tmp_path / "data_scene_flow_multiview"
        for folder, scenes in (("training", 10), ("testing", 2)):
            for s in range(scenes):
                for frame in (10, 11):
                    for cam in ("image_2", "image_3"):
                        _image(base / folder / cam / f"{s:06d}_{frame:02d}.png", 12, 16, 100 * s + frame)
        return tmp_path


class TestInStereo2KContract(DatasetContract):
    dataset_class = InStereo2K
    params = {"split": "test", "preprocess": "none", "size": (8, 12)}
    expected_len = 3
    expected_keys = STEREO_KEYS
    expected_shapes = {"left": (3, 8, 12), "right": (3, 8, 12)}
    unit_range_keys = ("left", "right")

    def make_root(self, tmp_path):
        for folder, n in (("train", 4), ("test", 3)):
            for i in range(n):
                for view in ("left", "right"):
                    _image(tmp_path / folder / f"{i:06d}" / f"{view}.png", 10, 14, i)
        return tmp_path


class TestCityscapesStereoContract(DatasetContract):
    dataset_class = CityscapesStereo
    params = {"split": "validation"}  # default preset: the full frame resized to 128x256
    expected_len = 4
    expected_keys = STEREO_KEYS
    expected_shapes = {"left": (3, 128, 256), "right": (3, 128, 256)}
    unit_range_keys = ("left", "right")

    def make_root(self, tmp_path):
        for split in ("train", "val"):
            for city in ("aachen", "bremen"):
                for k in range(2):
                    stem = f"{city}_{k:06d}_000019"
                    for side in ("left", "right"):
                        _image(tmp_path / f"{side}Img8bit" / split / city / f"{stem}_{side}Img8bit.png",
                               16, 32, k)
        return tmp_path
