"""On-device representations: the collated-events path gives the same batches as the dataset path."""

from __future__ import annotations

import numpy as np
import torch

from spikevision.data.datamodule import DataModuleFromConfig
from spikevision.data.event_batch import collate_batch, represent_on_device
from spikevision.data.ndigits import NDigits
from spikevision.data.nmnist import NMNIST
from spikevision.io import make_events, write_atis_bin


def _datamodule(on_device: bool, kind: str) -> DataModuleFromConfig:
    params = {"split": "train", "limit": 6, "on_device": on_device,
              "representation": {"kind": kind, "num_bins": 3}}
    return DataModuleFromConfig(batch_size=3, num_workers=0,
                                train={"target": "spikevision.data.ndigits.NDigits", "params": params})


def test_ndigits_frames_on_device_equal_dataset_frames(spikevision_cache):
    for kind in ("frames", "voxel_grid"):
        ref = next(iter(_datamodule(False, kind)._loader("train", False)))
        dm = _datamodule(True, kind)
        raw = next(iter(dm._loader("train", False)))
        assert "events" in raw and "input" not in raw
        assert raw["events"]["batch_index"].max() == 2
        out = dm.on_after_batch_transfer(raw, 0)
        assert out["input"].shape == ref["input"].shape == (3, 3, 2 if kind == "frames" else 1, 34, 34)
        assert torch.allclose(out["input"], ref["input"], atol=1e-5)
        assert torch.equal(out["image"], ref["image"]) and out["label"].tolist() == ref["label"].tolist()


def test_recording_dataset_on_device_with_resize(tmp_path):
    root = tmp_path / "nmnist"
    rng = np.random.default_rng(0)
    for d in (1, 2):
        (root / "Train" / str(d)).mkdir(parents=True)
        n = 200 * d
        ev = make_events(rng.integers(0, 34, n), rng.integers(0, 34, n), np.sort(rng.integers(0, 9000, n)),
                         rng.integers(0, 2, n))
        write_atis_bin(root / "Train" / str(d) / "00001.bin", ev)
    kwargs = {"representation": {"num_bins": 2}, "size": (17, 17), "cache_dir": tmp_path / "c"}
    ref_ds = NMNIST(str(root), **kwargs)
    dev_ds = NMNIST(str(root), on_device=True, **kwargs)
    batch = represent_on_device(collate_batch([dev_ds[0], dev_ds[1]]), dev_ds)
    ref = torch.stack([ref_ds[0]["input"], ref_ds[1]["input"]])
    assert batch["input"].shape == (2, 2, 2, 17, 17)
    assert torch.allclose(batch["input"], ref, atol=1e-5)


def test_collate_without_events_is_default_collate(spikevision_cache):
    ds = NDigits("test", limit=2)
    batch = collate_batch([ds[0], ds[1]])
    assert batch["input"].shape == (2, 4, 2, 34, 34) and batch["label_name"] == [ds[0]["label_name"],
                                                                                   ds[1]["label_name"]]
