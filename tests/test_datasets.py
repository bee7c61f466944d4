"""Datasets on small fake folders in the real layouts, missing-root errors, the disk cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from spikevision.data.celeba import CelebA
from spikevision.data.cifar10dvs import CIFAR10DVS
from spikevision.data.datamodule import DataModuleFromConfig
from spikevision.data.ncaltech101 import NCaltech101
from spikevision.data.ndigits import NDigits
from spikevision.data.nmnist import NMNIST
from spikevision.data.uhsr import UHSR
from spikevision.errors import DatasetNotFoundError
from spikevision.events import to_frames
from spikevision.io import make_events, read_events, write_aedat2, write_atis_bin, write_uhsr_npz
from spikevision.spikes import tfi

DATA = Path(__file__).parent / "data"


def _random_events(rng, n, w, h, duration=100_000):
    t = np.sort(rng.integers(0, duration, n))
    return make_events(rng.integers(0, w, n), rng.integers(0, h, n), t, rng.integers(0, 2, n))


@pytest.fixture
def nmnist_root(tmp_path):
    root = tmp_path / "nmnist"
    for split in ("Train", "Test"):
        for digit in (0, 7):
            (root / split / str(digit)).mkdir(parents=True)
    shutil.copy(DATA / "nmnist_sample.bin", root / "Train" / "7" / "00001.bin")
    rng = np.random.default_rng(0)
    write_atis_bin(root / "Train" / "0" / "00002.bin", _random_events(rng, 500, 34, 34))
    write_atis_bin(root / "Test" / "0" / "00003.bin", _random_events(rng, 300, 34, 34))
    return root


def test_nmnist_items_match_the_representation_of_the_real_file(nmnist_root, tmp_path):
    ds = NMNIST(str(nmnist_root), "train", representation={"kind": "frames", "num_bins": 3},
                cache_dir=tmp_path / "cache")
    assert len(ds) == 2 and ds.label_names[7] == "seven"
    item = ds[1]  # sorted by class: index 1 is the real '7' recording
    assert item["label"] == 7 and item["label_name"] == "seven" and "image" not in item
    expected = to_frames(read_events(DATA / "nmnist_sample.bin"), 3, 34, 34)
    assert item["input"].shape == (3, 2, 34, 34)
    assert torch.equal(item["input"], torch.from_numpy(expected))
    assert float(item["input"].sum()) == 4325  # every event in exactly one bin


def test_cache_avoids_reparsing_in_the_second_epoch(nmnist_root, tmp_path):
    ds = NMNIST(str(nmnist_root), "train", cache_dir=tmp_path / "cache")
    calls = []
    original = ds.reader
    ds.reader = lambda p: calls.append(p) or original(p)
    first = [ds[i]["input"] for i in range(len(ds))]
    assert len(calls) == 2 and ds.cache.misses == 2
    second = [ds[i]["input"] for i in range(len(ds))]
    assert len(calls) == 2 and ds.cache.hits == 2  # nothing parsed again
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    # different parameters → a different cache entry
    other = NMNIST(str(nmnist_root), "train", representation={"num_bins": 2}, cache_dir=tmp_path / "cache")
    assert other[0]["input"].shape[0] == 2 and other.cache.misses == 1


def test_missing_roots_state_layout_and_source(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        NMNIST(str(tmp_path / "nowhere"))
    assert "Train/<digit 0-9>" in str(err.value) and "garrickorchard" in str(err.value)
    for cls, needle in ((CIFAR10DVS, "cifar10_<class>"), (NCaltech101, "image_NNNN.bin"),
                        (UHSR, "'spk'"), (CelebA, "list_eval_partition.txt")):
        with pytest.raises(DatasetNotFoundError, match="Expected layout|Expected") as err:
            cls(str(tmp_path / "nowhere"))
        assert needle in str(err.value)


def test_cifar10dvs_split_by_index_and_orientation(tmp_path):
    root = tmp_path / "c10"
    rng = np.random.default_rng(1)
    from spikevision.data.cifar10dvs import CIFAR10DVS_CLASSES

    for name in CIFAR10DVS_CLASSES:
        (root / name).mkdir(parents=True)
        for i in (5, 150):
            write_aedat2(root / name / f"cifar10_{name}_{i}.aedat", _random_events(rng, 200, 128, 128))
    train = CIFAR10DVS(str(root), "train", cache_dir=False)
    test = CIFAR10DVS(str(root), "test", cache_dir=False)
    assert len(train) == len(test) == 10
    assert all(r.path.name.endswith("_150.aedat") for r in train.recordings)
    assert all(r.path.name.endswith("_5.aedat") for r in test.recordings)
    assert train[3]["input"].shape == (4, 2, 128, 128) and train[3]["label_name"] == "cat"


def test_ncaltech101_pairs_rgb_image_by_class_and_index(tmp_path):
    root, images = tmp_path / "ncal", tmp_path / "img"
    rng = np.random.default_rng(2)
    for cls in ("accordion", "BACKGROUND_Google", "yin_yang"):
        (root / cls).mkdir(parents=True)
        (images / cls).mkdir(parents=True)
        for i in range(1, 6):
            write_atis_bin(root / cls / f"image_{i:04d}.bin", _random_events(rng, 300, 240, 180))
            Image.fromarray(np.full((30, 40, 3), 10 * i, np.uint8)).save(images / cls / f"image_{i:04d}.jpg")
    train = NCaltech101(str(root), "train", image_root=str(images), size=(48, 64), test_fraction=0.4,
                        cache_dir=False)
    test = NCaltech101(str(root), "test", image_root=str(images), size=(48, 64), test_fraction=0.4,
                       cache_dir=False)
    assert train.label_names == ["accordion", "yin_yang"]  # background excluded by default
    assert len(train) == 6 and len(test) == 4
    assert not {r.path for r in train.recordings} & {r.path for r in test.recordings}
    item = train[0]
    assert item["input"].shape == (4, 2, 48, 64) and item["image"].shape == (1, 48, 64)
    idx = int(train.recordings[0].path.stem.split("_")[1])
    assert item["image"].mean().item() == pytest.approx(10 * idx / 255, abs=2 / 255)


def test_uhsr_bins_and_tfi_target(tmp_path):
    root = tmp_path / "ucifar"
    root.mkdir()
    rng = np.random.default_rng(3)
    spikes = [(rng.random((200, 250, 250)) < 0.1).astype(np.uint8) for _ in range(3)]
    for i, spk in enumerate(spikes):
        write_uhsr_npz(root / f"{i}.npz", spk, label=i)
    train = UHSR(str(root), "train", train_count=2, num_bins=50, cache_dir=False)
    test = UHSR(str(root), "test", train_count=2, num_bins=50, cache_dir=False)
    assert len(train) == 2 and len(test) == 1
    item = test[0]
    assert item["label"] == 2 and item["label_name"] == "dog"
    assert item["input"].shape == (50, 1, 224, 224)
    crop = spikes[2][:, 13:237, 13:237]
    assert torch.allclose(item["input"][7, 0], torch.from_numpy(crop[28:32].mean(0, dtype=np.float32)))
    target = tfi(crop, center=100)
    assert torch.allclose(item["image"][0], torch.from_numpy(target / target.max()), atol=1e-6)


def test_celeba_split_and_centre_crop(tmp_path):
    root = tmp_path / "celeba"
    (root / "img_align_celeba").mkdir(parents=True)
    lines = []
    for i in range(1, 5):
        Image.fromarray(np.full((218, 178, 3), 50 * i, np.uint8)).save(root / "img_align_celeba" / f"{i:06d}.jpg")
        lines.append(f"{i:06d}.jpg {0 if i < 3 else 2}")
    (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    ds = CelebA(str(root), "train", size=32)
    assert len(ds) == 2 and len(CelebA(str(root), "test")) == 2
    item = ds[1]
    assert item["image"].shape == (3, 32, 32)
    assert item["image"].mean().item() == pytest.approx(100 / 255, abs=2 / 255)


def test_ndigits_items_and_datamodule(spikevision_cache):
    ds = NDigits("validation", representation={"kind": "voxel_grid", "num_bins": 5})
    item = ds[0]
    assert item["input"].shape == (5, 1, 34, 34) and item["image"].shape == (1, 34, 34)
    assert item["label_name"] == ds.label_names[item["label"]]
    spikes = NDigits("test", modality="spikes", representation={"num_bins": 4})
    assert spikes[0]["input"].shape == (4, 1, 34, 34)
    assert 0 <= float(spikes[0]["input"].min()) and float(spikes[0]["input"].max()) <= 1
    dm = DataModuleFromConfig(
        batch_size=4, num_workers=0,
        train={"target": "spikevision.data.ndigits.NDigits", "params": {"split": "train", "limit": 8}},
    )
    batch = next(iter(dm.train_dataloader()))
    assert batch["input"].shape == (4, 4, 2, 34, 34) and len(batch["label_name"]) == 4
    with pytest.raises(KeyError, match="no 'test' dataset"):
        dm.test_dataloader()


def test_ndigits_shift_augmentation_moves_input_and_image_together(spikevision_cache):
    """shift_px: each item shifted by one random (dy, dx), the input frames, the image and the raw
    on-device events alike; the memo keeps the unshifted representation; bad values are refused."""
    from spikevision.errors import ConfigError
    from spikevision.transforms import translate, translate_events

    rep = {"kind": "frames", "num_bins": 4}
    plain = NDigits("train", representation=rep, limit=4)
    shifted = NDigits("train", representation=rep, limit=4, shift_px=2)
    seen = set()
    for seed in range(12):
        torch.manual_seed(seed)
        dy, dx = (int(v) for v in torch.randint(-2, 3, (2,)))
        torch.manual_seed(seed)
        item, ref = shifted[1], plain[1]
        assert torch.equal(item["image"], translate(ref["image"], dy, dx))
        assert torch.equal(item["input"], translate(ref["input"], dy, dx))
        seen.add((dy, dx))
    assert len(seen) > 5  # the shift varies between draws
    assert torch.equal(shifted._input(int(shifted.indices[1])), plain[1]["input"])  # memo unshifted
    raw = NDigits("train", limit=2, on_device=True)
    raw_shifted = NDigits("train", limit=2, on_device=True, shift_px=3)
    torch.manual_seed(5)
    dy, dx = (int(v) for v in torch.randint(-3, 4, (2,)))
    torch.manual_seed(5)
    np.testing.assert_array_equal(raw_shifted[0]["events"], translate_events(raw[0]["events"], dy, dx, 34, 34))
    image = NDigits("train", modality="image", limit=2, shift_px=1)[0]
    assert torch.equal(image["input"], image["image"])
    for bad in (-1, 17, 1.5, True):
        with pytest.raises(ConfigError, match="shift_px"):
            NDigits("train", limit=2, shift_px=bad)


def test_uhsr_reads_each_file_once_for_input_and_target(tmp_path):
    root = tmp_path / "u"
    root.mkdir()
    write_uhsr_npz(root / "0.npz", (np.random.default_rng(4).random((200, 250, 250)) < 0.1).astype(np.uint8), 0)
    ds = UHSR(str(root), "train", train_count=5, num_bins=50, cache_dir=False)
    calls = []
    original = ds.reader
    ds.reader = lambda p: calls.append(p) or original(p)
    item = ds[0]
    assert "input" in item and "image" in item and len(calls) == 1


def test_ncaltech101_validation_is_held_out_of_train_not_test(tmp_path):
    from omegaconf import OmegaConf

    from spikevision.data.datamodule import DataModuleFromConfig

    root = tmp_path / "ncal"
    rng = np.random.default_rng(3)
    for cls in ("accordion", "yin_yang"):
        (root / cls).mkdir(parents=True)
        for i in range(1, 21):
            write_atis_bin(root / cls / f"image_{i:04d}.bin", _random_events(rng, 50, 240, 180))
    params = {"root": str(root), "size": (16, 16), "test_fraction": 0.2, "cache_dir": False}
    files = {s: {r.path for r in NCaltech101(split=s, **params).recordings} for s in ("train", "validation", "test")}
    assert len(files["test"]) == 8 and len(files["validation"]) == 4 and len(files["train"]) == 28
    assert not files["validation"] & files["test"] and not files["validation"] & files["train"]
    assert files["validation"] == {r.path for r in NCaltech101(split="validation", **params).recordings}
    assert {r.path for r in NCaltech101(split="test", val_fraction=0.3, **params).recordings} == files["test"]
    # the shipped N-Caltech101 stacks validate on the held-out part, never on the test split
    from spikevision.cli.launch_scripts import merged_config

    scripts = sorted((Path(__file__).resolve().parents[1] / "train").glob("stage_*/run_*ncaltech101.sh"))
    assert len(scripts) == 4
    for script in scripts:
        cfg = merged_config([script])
        assert cfg.data.params.validation.params.split == "validation", script
        node = OmegaConf.to_container(cfg.data.params.validation, resolve=True)
        node["params"].update(params, image_root=None)
        dm = DataModuleFromConfig(batch_size=2, validation=node)
        assert {r.path for r in dm.dataset("validation").recordings} == files["validation"]


# ----------------------------------------------------------------------------- seed 002's image datasets


def _celeba_with(root: Path, image: np.ndarray) -> Path:
    """A one-image CelebA (train split) holding ``image`` losslessly (PNG bytes under the .jpg name)."""
    (root / "img_align_celeba").mkdir(parents=True)
    Image.fromarray(image).save(root / "img_align_celeba" / "000001.jpg", format="PNG")
    (root / "list_eval_partition.txt").write_text("000001.jpg 0\n")
    return root


def test_celeba_reference_crop_is_the_full_width_centre_square(tmp_path, monkeypatch):
    from spikevision.data.square_images import square_crop_box

    assert square_crop_box(178, 218) == (0, 20, 178, 198)
    rows, cols = np.mgrid[0:218, 0:178]
    image = np.stack([rows, cols, (rows + cols) % 256], -1).astype(np.uint8)  # pixel = (row, col, ·)
    root = _celeba_with(tmp_path / "celeba", image)
    item = CelebA(str(root), "train", size=178, hflip=False)[0]["image"]  # no resize: the crop itself
    assert torch.equal(item, torch.from_numpy(image[20:198].transpose(2, 0, 1) / 255.0).float())
    monkeypatch.setattr(torch, "rand", lambda *a, **k: torch.tensor(0.25))  # the coin says "flip"
    flipped = CelebA(str(root), "train", size=178)[0]["image"]  # train split: flips by default
    assert torch.equal(flipped, item.flip(-1))
    assert torch.equal(CelebA(str(root), "train", size=178, hflip=False)[0]["image"], item)
    # resized: the same as PIL's bicubic resize of exactly that box
    with Image.open(root / "img_align_celeba" / "000001.jpg") as img:
        ref = np.asarray(img.convert("RGB").crop((0, 20, 178, 198)).resize((64, 64), Image.BICUBIC))
    small = CelebA(str(root), "train", size=64, hflip=False)[0]["image"]
    assert torch.equal(small, torch.from_numpy(ref.transpose(2, 0, 1) / np.float32(255)))
    # the earlier preprocessing as an option: the centred 140×140 square, area-resized, never flipped
    tight = CelebA(str(root), "train", size=70, preprocess="tight_crop")[0]["image"]
    crop = torch.from_numpy(image[39:179, 19:159].transpose(2, 0, 1) / np.float32(255))
    assert torch.allclose(tight, torch.nn.functional.avg_pool2d(crop[None], 2)[0], atol=1e-6)
    with pytest.raises(ValueError, match="preprocess"):
        CelebA(str(root), "train", preprocess="adm")


def test_mnist_reads_torchvision_idx_files_exactly(tmp_path):
    from fake_torchvision_data import mnist_images, write_idx_dataset
    from spikevision.data.torchvision_images import MNIST

    write_idx_dataset(tmp_path, "MNIST", n_train=4, n_test=3, gz=True)
    grey = MNIST(str(tmp_path), "test", size=28, channels=1)
    assert len(grey) == 3 and (tmp_path / "MNIST/raw/t10k-images-idx3-ubyte").is_file()  # unpacked once
    item = grey[2]
    assert item["label"] == 2 and item["label_name"] == "two" and item["image"].shape == (1, 28, 28)
    assert torch.equal(item["image"][0], torch.from_numpy(mnist_images(3, 2)[2] / np.float32(255)))
    rgb = MNIST(str(tmp_path), "validation", size=28)[2]["image"]  # validation = the test split
    assert rgb.shape == (3, 28, 28) and torch.equal(rgb, item["image"].expand(3, -1, -1))
    assert MNIST(str(tmp_path), "train", size=64)[0]["image"].shape == (3, 64, 64)
    assert len(MNIST(str(tmp_path), "train", limit=2)) == 2
    (tmp_path / "MNIST/raw/train-labels-idx1-ubyte").unlink()
    (tmp_path / "MNIST/raw/train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match="train-labels-idx1-ubyte") as err:
        MNIST(str(tmp_path))
    assert "Expected layout" in str(err.value) and "nothing is downloaded" in str(err.value)


def test_cifar10_refuses_files_that_fail_torchvision_md5_check(tmp_path):
    from fake_torchvision_data import write_cifar10
    from spikevision.data.torchvision_images import CIFAR10

    write_cifar10(tmp_path)  # the right layout, but not the published files
    with pytest.raises(DatasetNotFoundError, match="torchvision refused") as err:
        CIFAR10(str(tmp_path))
    assert "cifar-10-batches-py/data_batch_1" in str(err.value)


def test_lsun_subset_is_seeded_and_splits_are_disjoint(tmp_path):
    from spikevision.data.lsun import LSUNBedroom

    for i in range(40):
        Image.fromarray(np.full((12, 16, 3), i, np.uint8)).save(tmp_path / f"{i:03d}.png")
    kw = {"fraction": 0.25, "val_count": 3, "size": 8}
    train, val = LSUNBedroom(str(tmp_path), "train", **kw), LSUNBedroom(str(tmp_path), "validation", **kw)
    assert (len(train), len(val)) == (7, 3) and not set(train.files) & set(val.files)
    files = sorted(tmp_path.glob("*.png"))
    subset = [files[i] for i in np.random.default_rng(42).permutation(40)[:10]]  # the documented rule
    assert val.files == subset[:3] and train.files == subset[3:]
    assert LSUNBedroom(str(tmp_path), "train", **kw).files == train.files
    assert LSUNBedroom(str(tmp_path), "train", subset_seed=1, **kw).files != train.files
    assert len(LSUNBedroom(str(tmp_path), "train", fraction=1.0, val_count=3)) == 37
    assert val[0]["image"].shape == (3, 8, 8)
    lmdb = tmp_path / "lmdb_only" / "bedroom_train_lmdb"
    lmdb.mkdir(parents=True)
    (lmdb / "data.mdb").write_bytes(b"")
    with pytest.raises(DatasetNotFoundError, match="LMDB database: export it") as err:
        LSUNBedroom(str(tmp_path / "lmdb_only"))
    assert "Expected layout" in str(err.value)
