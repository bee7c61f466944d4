"""Video → (spike window, middle frame) pairs: simulation, storage, sources, dataset, augmentation."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
import torch

from spikevision.cli.build_spike_pairs import run as build_cli
from spikevision.data.datamodule import DataModuleFromConfig
from spikevision.data.spike_pairs import SpikePairs
from spikevision.data.spike_pairs_builder import build_spike_pairs, iter_pairs, preprocess_frame
from spikevision.errors import DatasetNotFoundError
from spikevision.simulate import simulate_spikes
from spikevision.transforms import paired_augment


def _ramp(n: int, h: int = 8, w: int = 8) -> np.ndarray:
    """Frame k is the constant k / n (identifies its index), float32 [n, h, w]."""
    return np.broadcast_to((np.arange(n, dtype=np.float32) / n)[:, None, None], (n, h, w)).copy()


def test_streamed_pairs_equal_one_continuous_simulation():
    frames = _ramp(50) * 0.9
    pairs = list(iter_pairs(iter(frames), window=8, stride=6, steps_per_frame=2, gain=0.7,
                            rng=np.random.default_rng(5), chunk_frames=3))
    initial = np.random.default_rng(5).random((8, 8))
    whole = simulate_spikes(frames, steps_per_frame=2, gain=0.7, initial=initial)  # 100 steps
    starts = range(0, 100 - 8 + 1, 6)
    assert len(pairs) == len(starts)
    for (spikes, gt), s in zip(pairs, starts):
        assert np.array_equal(spikes, whole[s : s + 8])
        assert np.array_equal(gt, frames[(s + 4) // 2])  # frame shown at the window's middle step


def test_builder_writes_bitpacked_pairs_with_middle_frame(tmp_path):
    frames = _ramp(100, 16, 16)
    out = build_spike_pairs([frames, frames[:40]], tmp_path / "ds", window=32, size=(16, 16), seed=3,
                            shard_size=2, progress=False)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["num_pairs"] == 3 + 1 and [s["pairs"] for s in meta["sources"]] == [3, 1]
    assert [s["count"] for s in meta["shards"]] == [2, 2]
    packed = np.load(out / "shard_00000.spikes.npy")
    assert packed.dtype == np.uint8 and packed.shape == (2, 32 * 16 * 16 // 8)  # 8 pixels per byte
    ds = SpikePairs(str(out), split="all")
    expected = simulate_spikes(frames, initial=np.random.default_rng([3, 0]).random((16, 16)))
    for i, start in enumerate((0, 32, 64)):
        spikes, image = ds.pair(i)
        assert np.array_equal(spikes, expected[start : start + 32])
        assert image[0, 0] == round(255 * (start + 16) / 100)
    item = ds[3]  # the second source's only pair
    assert item["input"].shape == (32, 1, 16, 16) and item["image"].shape == (1, 16, 16)
    assert item["image"][0, 0, 0].item() == pytest.approx(round(255 * 16 / 100) / 255)
    with pytest.raises(FileExistsError):
        build_spike_pairs([frames], out, size=(16, 16), progress=False)
    with pytest.raises(ValueError, match="too short"):
        build_spike_pairs([frames[:10]], tmp_path / "short", size=(16, 16), progress=False)
    assert not (tmp_path / "short").exists()


def test_preprocess_crops_to_aspect_then_resizes():
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, 20:60] = 255  # the centre square is white, the sides black
    out = preprocess_frame(img, (20, 20))
    assert out.shape == (20, 20) and out.dtype == np.float32
    assert np.allclose(out, 1.0)
    grey = preprocess_frame(np.full((6, 6), 0.25, np.float32), (12, 12))
    assert np.allclose(grey, 0.25, atol=1e-6)


def test_video_and_image_folder_sources(tmp_path):
    frames = (_ramp(40, 24, 32) * 255).astype(np.uint8)
    folder = tmp_path / "seq"
    folder.mkdir()
    for k, f in enumerate(frames):
        iio.imwrite(folder / f"{k:04d}.png", f)
    iio.imwrite(tmp_path / "clip.gif", frames)
    iio.imwrite(tmp_path / "clip.mp4", np.repeat(frames[..., None], 3, -1), fps=25)
    out = build_spike_pairs([folder, tmp_path / "clip.gif", tmp_path / "clip.mp4"], tmp_path / "ds",
                            window=16, size=(16, 16), progress=False)
    meta = json.loads((out / "meta.json").read_text())
    assert [s["pairs"] for s in meta["sources"]] == [2, 2, 2]
    ds = SpikePairs(str(out), split="all")
    for i in range(2):  # image sequence: exact middle frames (8, 24) after the centre crop
        assert np.all(ds.pair(i)[1] == frames[8 + 16 * i, 0, 0])
    mp4_gt = ds.pair(4)[1].astype(int)
    assert abs(mp4_gt.mean() - frames[8, 0, 0]) <= 3  # lossy codec
    with pytest.raises(DatasetNotFoundError):
        build_spike_pairs([tmp_path / "nope.mp4"], tmp_path / "x", progress=False)


def _binary_dataset(tmp_path, size=(16, 16)) -> str:
    """Static binary images: a pixel of intensity 1 fires every step, 0 never, so the mean of
    every spike window equals the ground truth exactly."""
    rng = np.random.default_rng(0)
    image = (rng.random(size) < 0.4).astype(np.float32)
    image[0, :3] = 1.0  # asymmetric, so every rotation/flip is distinguishable
    return str(build_spike_pairs([np.repeat(image[None], 64, 0)], tmp_path / "bin", window=16, size=size,
                                 progress=False))


def test_augmentation_keeps_input_and_target_aligned(tmp_path):
    torch.manual_seed(0)
    ds = SpikePairs(_binary_dataset(tmp_path), split="all", augment=True)
    seen = set()
    for _ in range(40):
        item = ds[0]
        assert torch.equal(item["input"].mean(0), item["image"])
        seen.add(item["image"].numpy().tobytes())
    assert len(seen) == 8  # 4 rotations × flips give the 8 symmetries of the square
    cropped = SpikePairs(str(tmp_path / "bin"), split="all", augment=True, crop=(8, 12))
    for _ in range(10):
        item = cropped[1]
        assert item["input"].shape == (16, 1, 8, 12)
        assert torch.equal(item["input"].mean(0), item["image"])


def test_paired_augment_matches_manual_transform():
    x, y = torch.arange(24.0).reshape(2, 3, 4), torch.arange(12.0).reshape(1, 3, 4)
    xa, ya = paired_augment(x, y, rotations=1, hflip=True)
    assert torch.equal(xa, torch.rot90(x, 1, (-2, -1)).flip(-1))
    assert torch.equal(ya, torch.rot90(y, 1, (-2, -1)).flip(-1))
    assert xa.shape == (2, 4, 3)


def test_splits_datamodule_and_errors(tmp_path):
    out = build_cli(["--synthetic", "2", "--synthetic-steps", "160", "--size", "16", "16", "--window", "16",
                     "--out", str(tmp_path / "syn")])
    parts = {s: SpikePairs(str(out), split=s, val_fraction=0.2, test_fraction=0.1).indices
             for s in ("train", "validation", "test")}
    assert sum(len(v) for v in parts.values()) == 20
    assert len(parts["validation"]) == 4 and len(parts["test"]) == 2
    assert not set(parts["train"]) & set(parts["validation"]) and not set(parts["train"]) & set(parts["test"])
    dm = DataModuleFromConfig(
        batch_size=4, num_workers=0,
        train={"target": "spikevision.data.spike_pairs.SpikePairs",
               "params": {"root": str(out), "split": "train", "augment": True}},
    )
    batch = next(iter(dm.train_dataloader()))
    assert batch["input"].shape == (4, 16, 1, 16, 16) and batch["image"].shape == (4, 1, 16, 16)
    with pytest.raises(DatasetNotFoundError, match="meta.json"):
        SpikePairs(str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="not found"):
        SpikePairs(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="larger"):
        SpikePairs(str(out), crop=(32, 32))
