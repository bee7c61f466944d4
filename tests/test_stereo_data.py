"""Stereo-pair datasets: embedded set (generation, splits, warp) and KITTI/InStereo2K/Cityscapes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from spikevision.data import stereo_embedded as se
from spikevision.data.stereo_embedded import EmbeddedStereo
from spikevision.data.stereo_folders import (
    CityscapesStereo,
    InStereo2K,
    KITTIStereo2015,
    read_pair_list,
)
from spikevision.data.stereo_pairs import StereoPairDataset, joint_hflip
from spikevision.errors import DatasetNotFoundError, StereoPairError

SPLITS = ("train", "validation", "test")


# ----------------------------------------------------------------------------- helpers


def _png(path: Path, h: int, w: int, seed: int = 0, smooth: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    if smooth:  # compresses well: fast to write and read at KITTI-like sizes
        yy, xx = np.mgrid[0:h, 0:w]
        arr = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)),
                        np.full((h, w), seed % 256)], -1).astype(np.uint8)
    else:
        arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(arr).save(path)
    return path


def _check_item(ds, index: int = 0) -> dict:
    item = ds[index]
    assert set(item) == {"left", "right", "index", "name"}
    h, w = ds.image_size
    for key in ("left", "right"):
        t = item[key]
        assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
        assert tuple(t.shape) == (3, h, w)
        assert 0.0 <= float(t.min()) and float(t.max()) <= 1.0
    assert item["index"] == index and isinstance(item["index"], int)
    assert isinstance(item["name"], str) and item["name"]
    return item


@pytest.fixture(scope="module")
def kitti_root(tmp_path_factory) -> Path:
    """20 training scenes x 2 frames and 3 testing scenes, 12x16 PNGs."""
    root = tmp_path_factory.mktemp("kitti")
    base = root / "data_scene_flow_multiview"
    for folder, scenes in (("training", 20), ("testing", 3)):
        for s in range(scenes):
            for f in (10, 11):
                for cam in ("image_2", "image_3"):
                    _png(base / folder / cam / f"{s:06d}_{f:02d}.png", 12, 16, seed=s * 100 + f)
    return root


@pytest.fixture(scope="module")
def instereo_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("instereo")
    for folder, n in (("train", 20), ("test", 3)):
        for i in range(n):
            for view in ("left", "right"):
                _png(root / folder / f"{i:06d}" / f"{view}.png", 10, 14, seed=i)
    return root


@pytest.fixture(scope="module")
def cityscapes_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cityscapes")
    for split in ("train", "val", "test"):
        for city in ("aachen", "bremen"):
            for k in range(2):
                stem = f"{city}_{k:06d}_000019"
                _png(root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", 16, 32, k)
                _png(root / "rightImg8bit" / split / city / f"{stem}_rightImg8bit.png", 16, 32, k)
    return root


# ----------------------------------------------------------------------------- embedded


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("stereo_a")
    start = time.perf_counter()
    path = se.build_stereo_embedded(root)
    return root, path, time.perf_counter() - start


def test_embedded_layout_counts_and_time(built):
    root, path, seconds = built
    assert path == root / f"stereo_embedded_v{se.VERSION}"
    assert sorted(os.listdir(path)) == ["data.npz", "meta.json"]
    assert not [p for p in os.listdir(root) if ".tmp-" in p]
    meta = json.loads((path / "meta.json").read_text())
    assert meta["params"]["crop"] == 64 and meta["params"]["scale"] == 2
    # the counts documented in the module docstring
    assert meta["counts"] == {"train": {"real": 160, "synthetic": 642},
                              "validation": {"real": 2, "synthetic": 78},
                              "test": {"real": 2, "synthetic": 110}}
    assert meta["counts"]["train"]["real"] >= 150
    assert seconds < 30, f"embedded stereo build took {seconds:.1f} s"
    assert se.stereo_embedded_dir(root, crop=128).name.startswith(f"stereo_embedded_v{se.VERSION}_")


def test_embedded_deterministic(built, tmp_path):
    other = se.build_stereo_embedded(tmp_path)
    with np.load(built[1] / "data.npz", allow_pickle=False) as a, \
            np.load(other / "data.npz", allow_pickle=False) as b:
        assert sorted(a.files) == sorted(b.files)
        for k in a.files:
            assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
            assert a[k].tobytes() == b[k].tobytes(), k


@pytest.mark.parametrize("split", SPLITS)
def test_embedded_item_contract(built, split):
    ds = EmbeddedStereo(split, root=built[0])
    assert ds.image_size == (64, 64) and len(ds) > 0
    assert ds.hflip == (split == "train")
    _check_item(ds, 0)
    _check_item(ds, len(ds) - 1)
    real = EmbeddedStereo(split, root=built[0], include="real")
    synth = EmbeddedStereo(split, root=built[0], include="synthetic")
    assert len(real) + len(synth) == len(ds)
    assert all(real.source_name(i) == "motorcycle" for i in range(len(real)))
    assert len(EmbeddedStereo(split, root=built[0], limit=3)) == 3


def test_embedded_bad_arguments(built):
    with pytest.raises(ValueError, match="train.*validation.*test"):
        EmbeddedStereo("val", root=built[0])
    with pytest.raises(ValueError, match="include"):
        EmbeddedStereo("train", root=built[0], include="both")


def test_embedded_default_root_uses_cache_env(spikevision_cache):
    ds = EmbeddedStereo("test", include="real")
    assert ds.source.path == spikevision_cache / f"stereo_embedded_v{se.VERSION}"


def test_embedded_real_bands_disjoint(built):
    src = se.load_stereo_embedded(built[0])
    a, c = src.arrays, src.crop
    real = a["crop_source"] == 0
    bands = a["real_bands"]
    masks = []
    for k in range(3):
        origins = a["crop_origin"][real & (a["crop_split"] == k)]
        assert len(origins) > 0
        y0, y1, x0, x1 = bands[k]
        assert (origins[:, 0] >= y0).all() and (origins[:, 0] + c <= y1).all()
        assert (origins[:, 1] >= x0).all() and (origins[:, 1] + c <= x1).all()
        m = np.zeros(a["left_0"].shape[:2], bool)
        for y, x in origins:
            m[y:y + c, x:x + c] = True
        masks.append(m)
        if k > 0:  # held-out crops do not overlap each other
            assert m.sum() == len(origins) * c * c
    for i in range(3):
        for j in range(i + 1, 3):
            assert not (masks[i] & masks[j]).any()
    # at least one crop-free row between train and held-out, and a column gap >= max disparity
    assert bands[1][0] - bands[0][1] >= 1
    assert bands[2][2] - bands[1][3] >= src.meta["real_column_gap"] >= 30


def test_embedded_synthetic_sources_disjoint(built):
    names = {}
    for split in SPLITS:
        ds = EmbeddedStereo(split, root=built[0], include="synthetic")
        names[split] = {ds.source_name(i) for i in range(len(ds))}
        assert names[split]
    assert not names["train"] & names["validation"]
    assert not names["train"] & names["test"]
    assert not names["validation"] & names["test"]


def test_embedded_real_crops_match_skimage(built):
    import skimage.data

    left, right, _ = skimage.data.stereo_motorcycle()

    def half(img):  # independent 2x2 block mean, rounded half up
        h, w = img.shape[0] // 2, img.shape[1] // 2
        blocks = img[: 2 * h, : 2 * w].astype(np.float64).reshape(h, 2, w, 2, 3)
        return np.floor(blocks.mean(axis=(1, 3)) + 0.5) / 255.0

    ref_l, ref_r = half(left), half(right)
    for split in SPLITS:
        ds = EmbeddedStereo(split, root=built[0], include="real", hflip=False)
        for i in (0, len(ds) - 1):
            item = ds[i]
            y, x = ds.origin(i)
            assert item["name"] == f"motorcycle_y{y:03d}_x{x:03d}"
            want_l = ref_l[y:y + 64, x:x + 64].transpose(2, 0, 1)
            want_r = ref_r[y:y + 64, x:x + 64].transpose(2, 0, 1)
            np.testing.assert_allclose(item["left"].numpy(), want_l, atol=1e-6)
            np.testing.assert_allclose(item["right"].numpy(), want_r, atol=1e-6)
            assert ds.disparity(i) is None


def test_embedded_warp_matches_disparity(built):
    for split in SPLITS:
        ds = EmbeddedStereo(split, root=built[0], include="synthetic", hflip=False)
        for i in np.linspace(0, len(ds) - 1, 6).astype(int):
            item, d = ds[int(i)], ds.disparity(int(i)).numpy().astype(np.float64)
            assert d.shape == (64, 64) and 2.0 <= d.min() and d.max() <= 12.0
            assert np.abs(np.diff(d, axis=1)).max() < 1.0  # smooth
            left, right = item["left"].numpy(), item["right"].numpy()
            xs = np.arange(64)[None, :] + d  # right(x) = left(x + d)
            x0 = np.floor(xs).astype(int)
            inside = x0 + 1 < 64
            x0c = np.clip(x0, 0, 62)
            f = xs - x0c
            rows = np.arange(64)[:, None]
            want = left[:, rows, x0c] * (1 - f) + left[:, rows, x0c + 1] * f
            err = np.abs(want - right)[:, inside]
            assert inside.sum() > 64 * 40
            assert err.max() <= 0.5 / 255 + 1e-5
            assert np.abs(left - right).mean() > 1e-3  # the views really differ


def test_embedded_sources_are_bundled():
    """Every default source is a file inside the installed wheels (nothing is downloaded)."""
    import skimage.data
    import sklearn.datasets

    skd = Path(skimage.data.__file__).parent
    files = {"astronaut": "astronaut.png", "chelsea": "chelsea.png", "coffee": "coffee.png",
             "rocket": "rocket.jpg", "immunohistochemistry": "ihc.png",
             "hubble_deep_field": "hubble_deep_field.jpg"}
    assert set(files) | {"china", "flower"} == set(se.SYNTHETIC_SOURCES)
    for name in ("motorcycle_left.png", "motorcycle_right.png", "motorcycle_disp.npz",
                 *files.values()):
        assert (skd / name).is_file(), name
    images = Path(sklearn.datasets.__file__).parent / "images"
    assert (images / "china.jpg").is_file() and (images / "flower.jpg").is_file()


def test_embedded_warp_helpers():
    d = se.disparity_field((20, 30), [0, 1])
    assert d.dtype == np.float32 and d.min() == pytest.approx(2.0) and d.max() == pytest.approx(12)
    img = np.tile(np.arange(40, dtype=np.uint8)[None, :, None] * 5, (4, 1, 3))
    out = se.warp_right(img, np.full((4, 40), 2.5, np.float32))
    assert (out[:, :30, 0] == np.rint(img[:, 2:32, 0] + 2.5).astype(np.uint8)).all()


# ----------------------------------------------------------------------------- folders


def test_kitti_discovery_and_scene_split(kitti_root):
    train = KITTIStereo2015(kitti_root, "train", preprocess="none")
    val = KITTIStereo2015(kitti_root, "validation", preprocess="none")
    test = KITTIStereo2015(kitti_root, "test", preprocess="none")
    assert len(train) + len(val) == 40 and len(val) == 4 and len(test) == 6
    scene = lambda ds: {Path(a).name.split("_")[0] for a, _ in ds.pairs}  # noqa: E731
    assert not scene(train) & scene(val) and len(scene(val)) == 2
    for ds in (train, val, test):
        for a, b in ds.pairs:
            assert a.parent.name == "image_2" and b.parent.name == "image_3" and a.name == b.name
    assert all(a.parts[-3] == "testing" for a, _ in test.pairs)
    assert train.names[0].startswith("training/") and train.hflip and not val.hflip
    # root may be the data_scene_flow_multiview folder itself
    direct = KITTIStereo2015(kitti_root / "data_scene_flow_multiview", "validation",
                             preprocess="none")
    assert direct.pairs == val.pairs
    assert scene(KITTIStereo2015(kitti_root, "validation", seed=1, preprocess="none")) != scene(val)


def test_kitti_split_file(kitti_root, tmp_path):
    base = kitti_root / "data_scene_flow_multiview" / "training"
    lines = ["data_scene_flow_multiview/training/image_2/000003_10.png",
             "data_scene_flow_multiview/training/image_3/000003_10.png",
             "",
             str(base / "image_2" / "000004_11.png"),
             "training/image_3/000004_11.png",
             "/elsewhere/KITTI/data_scene_flow_multiview/training/image_2/000005_10.png",
             "/elsewhere/KITTI/data_scene_flow_multiview/training/image_3/000005_10.png"]
    listing = tmp_path / "kitti_train.txt"
    listing.write_text("\n".join(lines) + "\n")
    assert len(read_pair_list(listing)) == 3
    ds = KITTIStereo2015(kitti_root, "train", split_file=listing, preprocess="none")
    assert ds.pairs == [(base / "image_2" / n, base / "image_3" / n)
                        for n in ("000003_10.png", "000004_11.png", "000005_10.png")]
    ds2 = KITTIStereo2015(kitti_root, "test", split_file={"test": listing}, preprocess="none")
    assert ds2.pairs == ds.pairs
    odd = tmp_path / "odd.txt"
    odd.write_text("\n".join(lines[:4]))
    with pytest.raises(StereoPairError, match="alternating"):
        KITTIStereo2015(kitti_root, "train", split_file=odd)
    missing = tmp_path / "missing.txt"
    missing.write_text("training/image_2/999999_10.png\ntraining/image_3/999999_10.png\n")
    with pytest.raises(DatasetNotFoundError, match="999999_10.png"):
        KITTIStereo2015(kitti_root, "train", split_file=missing)


def test_missing_roots_explain_layout(tmp_path):
    with pytest.raises(DatasetNotFoundError) as exc:
        KITTIStereo2015(tmp_path / "nope", "train")
    msg = str(exc.value)
    assert "data_scene_flow_multiview/training/image_2/NNNNNN_XX.png" in msg
    assert ("download data_scene_flow_multiview.zip from the KITTI Stereo 2015 page "
            "(cvlibs.net/datasets/kitti/eval_scene_flow.php)") in msg
    with pytest.raises(DatasetNotFoundError, match="image_2"):
        KITTIStereo2015(tmp_path, "train")  # exists but empty
    with pytest.raises(DatasetNotFoundError) as exc:
        InStereo2K(tmp_path / "nope", "train")
    assert "train/NNNNNN/left.png" in str(exc.value)
    assert "github.com/YuhuaXu/StereoDataset" in str(exc.value)
    with pytest.raises(DatasetNotFoundError) as exc:
        CityscapesStereo(tmp_path / "nope", "validation")
    assert "leftImg8bit/{train,val,test}/<city>/<name>_leftImg8bit.png" in str(exc.value)
    assert "rightImg8bit" in str(exc.value) and "cityscapes-dataset.com" in str(exc.value)
    assert "registration" in str(exc.value)


def test_bad_split_lists_valid_ones(kitti_root, instereo_root, cityscapes_root):
    for make in (lambda: KITTIStereo2015(kitti_root, "val"),
                 lambda: InStereo2K(instereo_root, "dev"),
                 lambda: CityscapesStereo(cityscapes_root, "val")):
        with pytest.raises(ValueError, match=r"\['train', 'validation', 'test'\]"):
            make()


def test_item_contract_folders(kitti_root, instereo_root, cityscapes_root):
    for ds in (KITTIStereo2015(kitti_root, "train", preprocess="none"),
               KITTIStereo2015(kitti_root, "test", preprocess="none", size=(8, 8)),
               InStereo2K(instereo_root, "validation", preprocess="none"),
               InStereo2K(instereo_root, "test", crop=(8, 8), size=(4, 6)),
               CityscapesStereo(cityscapes_root, "validation")):
        _check_item(ds, 0)
        _check_item(ds, len(ds) - 1)
    assert KITTIStereo2015(kitti_root, "train", preprocess="none").image_size == (12, 16)


def test_instereo_layout_and_holdout(instereo_root, tmp_path):
    train = InStereo2K(instereo_root, "train", preprocess="none")
    val = InStereo2K(instereo_root, "validation", preprocess="none")
    test = InStereo2K(instereo_root, "test", preprocess="none")
    assert (len(train), len(val), len(test)) == (19, 1, 3)
    assert not {a.parent for a, _ in train.pairs} & {a.parent for a, _ in val.pairs}
    assert all(a.name == "left.png" and b.name == "right.png" for a, b in train.pairs)
    assert val.names[0].startswith("train/") and test.names[0] == "test/000000"
    broken = tmp_path / "broken"
    _png(broken / "train" / "000000" / "left.png", 4, 4)
    with pytest.raises(StereoPairError, match="right.png"):
        InStereo2K(broken, "train")


def test_cityscapes_pairs(cityscapes_root, tmp_path):
    val = CityscapesStereo(cityscapes_root, "validation")
    assert len(val) == 4 and val.image_size == (128, 256)
    for (a, b), name in zip(val.pairs, val.names):
        assert a.parts[-3] == "val" and b.parts[-3] == "val"
        assert a.name.replace("_leftImg8bit", "") == b.name.replace("_rightImg8bit", "")
        assert name == f"{a.parent.name}/{a.name[: -len('_leftImg8bit.png')]}"
    lone = tmp_path / "cs"
    left = _png(lone / "leftImg8bit" / "train" / "ulm" / "ulm_000000_000019_leftImg8bit.png", 4, 8)
    (lone / "rightImg8bit" / "train" / "ulm").mkdir(parents=True)
    with pytest.raises(StereoPairError) as exc:
        CityscapesStereo(lone, "train")
    assert str(left) in str(exc.value) and "ulm_000000_000019_rightImg8bit.png" in str(exc.value)


def test_preprocess_shapes(tmp_path):
    left = _png(tmp_path / "l.png", 376, 1242, seed=1, smooth=True)
    right = _png(tmp_path / "r.png", 376, 1242, seed=2, smooth=True)
    pairs = [(left, right)]
    cases = {"dhf": (128, 128), "ndic": (128, 256), "none": (376, 1242),
             "resize_128x256": (128, 256)}
    for preset, hw in cases.items():
        ds = StereoPairDataset(pairs, "test", preprocess=preset)
        assert ds.image_size == hw
        assert tuple(_check_item(ds)["left"].shape) == (3, *hw)
    ds = StereoPairDataset(pairs, "test", preprocess="dhf", crop=[200, 300], size=[50, 60])
    assert tuple(ds[0]["right"].shape) == (3, 50, 60)
    ds = StereoPairDataset(pairs, "test", preprocess="none", crop=[370, 370])
    crop = ds[0]["left"]  # centre crop is exact (no resize): compare to the file
    full = np.asarray(Image.open(left).convert("RGB"), np.float32) / 255
    np.testing.assert_array_equal(crop.numpy(), full[3:373, 436:806].transpose(2, 0, 1))
    small = StereoPairDataset([(_png(tmp_path / "s1.png", 100, 200), _png(tmp_path / "s2.png",
                                                                          100, 200))], "test",
                              preprocess="dhf")
    with pytest.raises(StereoPairError, match="smaller than the crop"):
        small[0]


def test_size_mismatch_names_both_files(tmp_path):
    a, b = _png(tmp_path / "a.png", 12, 16), _png(tmp_path / "b.png", 12, 18)
    ds = StereoPairDataset([(a, b)], "test")
    with pytest.raises(StereoPairError) as exc:
        ds[0]
    msg = str(exc.value)
    assert str(a) in msg and str(b) in msg and "12×16" in msg and "12×18" in msg


def test_corrupt_png_names_file(tmp_path):
    good = _png(tmp_path / "good.png", 32, 32)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not a png at all")
    for bad in (truncated, garbage):
        ds = StereoPairDataset([(good, bad)], "test", preprocess="none")
        with pytest.raises(StereoPairError, match=str(bad)):
            ds[0]


def test_joint_flip_swaps_views(tmp_path):
    a, b = _png(tmp_path / "a.png", 6, 9, seed=1), _png(tmp_path / "b.png", 6, 9, seed=2)
    plain = StereoPairDataset([(a, b)], "train", hflip=False)[0]
    ds = StereoPairDataset([(a, b)], "train")
    assert ds.hflip
    outcomes = {}
    for seed in range(20):
        torch.manual_seed(seed)
        flips = float(torch.rand(())) < 0.5
        torch.manual_seed(seed)
        outcomes[flips] = (seed, ds[0])
        if len(outcomes) == 2:
            break
    _, flipped = outcomes[True]
    assert torch.equal(flipped["left"], plain["right"].flip(-1))
    assert torch.equal(flipped["right"], plain["left"].flip(-1))
    _, kept = outcomes[False]
    assert torch.equal(kept["left"], plain["left"]) and torch.equal(kept["right"], plain["right"])
    new_l, new_r = joint_hflip(plain["left"], plain["right"])
    assert torch.equal(new_l, flipped["left"]) and torch.equal(new_r, flipped["right"])
    assert not StereoPairDataset([(a, b)], "validation").hflip


def test_embedded_flip_uses_joint_flip(built):
    ds = EmbeddedStereo("train", root=built[0], include="real", limit=1)
    plain = EmbeddedStereo("train", root=built[0], include="real", limit=1, hflip=False)[0]
    ds.flip_p = 1.0
    item = ds[0]
    assert torch.equal(item["left"], plain["right"].flip(-1))
    assert torch.equal(item["right"], plain["left"].flip(-1))
