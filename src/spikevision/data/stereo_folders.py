"""Stereo datasets on disk: KITTI Stereo 2015 (multiview), InStereo2K and Cityscapes.

All are :class:`~spikevision.data.stereo_pairs.StereoPairDataset` subclasses: items are
``{"left", "right": float32 [3, H, W] in [0, 1], "index", "name"}``. Default preprocessing:
KITTI and InStereo2K ``"dhf"`` (centre crop 370×370 → 128×128), Cityscapes ``"resize_128x256"``
(the full 1024×2048 frame → 128×256, aspect kept); see ``stereo_pairs`` for the presets.
Validation splits that the datasets do not ship are seeded hold-outs of whole scenes (KITTI,
10 % of scene ids) or folders (InStereo2K, 5 %), so they never share a scene with train.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from spikevision.data.stereo_pairs import StereoPairDataset, check_split, holdout
from spikevision.errors import DatasetNotFoundError, StereoPairError

__all__ = ["KITTIStereo2015", "InStereo2K", "CityscapesStereo", "read_pair_list"]

PathLike = str | os.PathLike

KITTI_DIR = "data_scene_flow_multiview"
KITTI_LAYOUT = f"""  <root>/{KITTI_DIR}/training/image_2/NNNNNN_XX.png   (left views)
  <root>/{KITTI_DIR}/training/image_3/NNNNNN_XX.png   (right views)
  <root>/{KITTI_DIR}/testing/image_2|image_3/NNNNNN_XX.png
  (root may also be the {KITTI_DIR} folder itself)"""
KITTI_SOURCE = (f"download {KITTI_DIR}.zip from the KITTI Stereo 2015 page "
                "(cvlibs.net/datasets/kitti/eval_scene_flow.php) and unzip it")

INSTEREO_LAYOUT = """  <root>/train/NNNNNN/left.png, right.png   (2,009 pairs)
  <root>/test/NNNNNN/left.png, right.png    (50 pairs)"""
INSTEREO_SOURCE = ("download InStereo2K from its publisher's page "
                   "(github.com/YuhuaXu/StereoDataset) and unzip it")

CITYSCAPES_LAYOUT = """  <root>/leftImg8bit/{train,val,test}/<city>/<name>_leftImg8bit.png
  <root>/rightImg8bit/{train,val,test}/<city>/<name>_rightImg8bit.png"""
CITYSCAPES_SOURCE = ("register at cityscapes-dataset.com (registration required), download "
                     "leftImg8bit_trainvaltest.zip and rightImg8bit_trainvaltest.zip and unzip "
                     "both into one folder")


def _not_found(name: str, root: PathLike | None, layout: str, source: str, why: str = "") -> NoReturn:
    why = f" ({why})" if why else ""
    raise DatasetNotFoundError(
        f"{name} not found at '{root}'{why}. Expected layout:\n{layout}\n"
        f"To get it: {source}; then set the dataset's 'root' parameter to that folder.")


def _require_root(root: PathLike | None, name: str, layout: str, source: str) -> Path:
    if root is None or not Path(root).expanduser().is_dir():
        _not_found(name, root, layout, source)
    return Path(root).expanduser()


def read_pair_list(path: PathLike) -> list[tuple[str, str]]:
    """A split file of left and right image paths on alternating lines -> ``[(left, right)]``.

    Blank lines and lines starting with ``#`` are skipped; an odd number of paths raises a
    :class:`StereoPairError`.
    """
    lines = [ln.strip() for ln in Path(path).read_text().splitlines()]
    paths = [ln for ln in lines if ln and not ln.startswith("#")]
    if len(paths) % 2:
        raise StereoPairError(
            f"split file '{path}' lists {len(paths)} paths; expected left and right paths on "
            "alternating lines (an even number)")
    return list(zip(paths[0::2], paths[1::2]))


class KITTIStereo2015(StereoPairDataset):
    """KITTI Stereo 2015 multiview pairs (image_2 = left, image_3 = right).

    ``split_file``: a text file (or a mapping split -> file) of left/right paths on alternating
    lines, as in the NDIC/DHF lists (1,576/790/790 pairs); a relative path is looked up under
    ``root``, then under the ``data_scene_flow_multiview`` folder, and any path (also absolute)
    containing a ``data_scene_flow_multiview`` component is also tried relative to that folder.
    Without it, ``training`` gives train/validation by a seeded split of scene ids (the
    ``NNNNNN`` of ``NNNNNN_XX.png``; ``val_fraction`` of them to validation) and ``testing``
    gives test.
    """

    def __init__(
        self,
        root: PathLike,
        split: str = "train",
        split_file: PathLike | Mapping[str, PathLike] | None = None,
        preprocess: str = "dhf",
        crop: Sequence[int] | int | None = None,
        size: Sequence[int] | int | None = None,
        hflip: bool | None = None,
        limit: int | None = None,
        val_fraction: float = 0.1,
        seed: int = 0,
    ) -> None:
        check_split(split, "KITTIStereo2015")
        top = _require_root(root, "KITTI Stereo 2015", KITTI_LAYOUT, KITTI_SOURCE)
        base = top / KITTI_DIR if (top / KITTI_DIR).is_dir() else top
        if isinstance(split_file, Mapping):
            if split not in split_file:
                raise ValueError(f"split_file has no entry for split '{split}': {dict(split_file)}")
            split_file = split_file[split]
        if split_file is not None:
            pairs = [(self._resolve(top, base, a, split_file), self._resolve(top, base, b, split_file))
                     for a, b in read_pair_list(split_file)]
        else:
            pairs = self._discover(base, split, val_fraction, seed)
        names = [f"{Path(a).parent.parent.name}/{Path(a).stem}" for a, _ in pairs]
        super().__init__(pairs, split, names=names, preprocess=preprocess, crop=crop, size=size,
                         hflip=hflip, limit=limit)

    @staticmethod
    def _resolve(top: Path, base: Path, entry: str, split_file: PathLike) -> Path:
        p = Path(entry).expanduser()
        candidates = [p] if p.is_absolute() else [top / p, base / p]
        if KITTI_DIR in p.parts:
            rest = p.parts[len(p.parts) - p.parts[::-1].index(KITTI_DIR):]
            candidates.append(base.joinpath(*rest))
        for c in candidates:
            if c.is_file():
                return c
        raise DatasetNotFoundError(
            f"'{entry}' listed in split file '{split_file}' does not exist; tried "
            + ", ".join(f"'{c}'" for c in candidates))

    @staticmethod
    def _discover(base: Path, split: str, val_fraction: float, seed: int) -> list[tuple[Path, Path]]:
        folder = base / ("testing" if split == "test" else "training")
        left_dir, right_dir = folder / "image_2", folder / "image_3"
        if not left_dir.is_dir() or not right_dir.is_dir():
            _not_found("KITTI Stereo 2015", base, KITTI_LAYOUT, KITTI_SOURCE,
                       f"missing {left_dir} or {right_dir}")
        lefts = sorted(left_dir.glob("*.png"))
        if split != "test":
            val_scenes = holdout([p.name.split("_")[0] for p in lefts], val_fraction, seed)
            want_val = split == "validation"
            lefts = [p for p in lefts if (p.name.split("_")[0] in val_scenes) == want_val]
        pairs = []
        for left in lefts:
            right = right_dir / left.name
            if not right.is_file():
                raise StereoPairError(f"KITTI left view '{left}' has no right view '{right}'")
            pairs.append((left, right))
        if not pairs:
            _not_found("KITTI Stereo 2015", base, KITTI_LAYOUT, KITTI_SOURCE,
                       f"no {split} pairs in {folder}")
        return pairs


class InStereo2K(StereoPairDataset):
    """InStereo2K: ``<root>/{train,test}/<id>/{left,right}.png`` (``left.png`` found recursively,
    so extra levels such as ``train/part1/`` also work). Validation is a seeded hold-out of
    ``val_fraction`` (default 5 %, about 100) of the train folders; train is the rest."""

    def __init__(
        self,
        root: PathLike,
        split: str = "train",
        preprocess: str = "dhf",
        crop: Sequence[int] | int | None = None,
        size: Sequence[int] | int | None = None,
        hflip: bool | None = None,
        limit: int | None = None,
        val_fraction: float = 0.05,
        seed: int = 0,
    ) -> None:
        check_split(split, "InStereo2K")
        base = _require_root(root, "InStereo2K", INSTEREO_LAYOUT, INSTEREO_SOURCE)
        folder = base / ("test" if split == "test" else "train")
        if not folder.is_dir():
            _not_found("InStereo2K", base, INSTEREO_LAYOUT, INSTEREO_SOURCE, f"missing {folder}")
        lefts = sorted(folder.rglob("left.png"))
        ids = [p.parent.relative_to(folder).as_posix() for p in lefts]
        if split != "test":
            val_ids = holdout(ids, val_fraction, seed)
            keep = [(i in val_ids) == (split == "validation") for i in ids]
            lefts = [p for p, k in zip(lefts, keep) if k]
            ids = [i for i, k in zip(ids, keep) if k]
        pairs = []
        for left in lefts:
            right = left.with_name("right.png")
            if not right.is_file():
                raise StereoPairError(f"InStereo2K left view '{left}' has no right view '{right}'")
            pairs.append((left, right))
        if not pairs:
            _not_found("InStereo2K", base, INSTEREO_LAYOUT, INSTEREO_SOURCE,
                       f"no {split} pairs in {folder}")
        super().__init__(pairs, split, names=[f"{folder.name}/{i}" for i in ids],
                         preprocess=preprocess, crop=crop, size=size, hflip=hflip, limit=limit)


class CityscapesStereo(StereoPairDataset):
    """Cityscapes stereo pairs (leftImg8bit + rightImg8bit), matched by the ``<name>`` prefix;
    ``"validation"`` reads the ``val`` folders. Default: full frame resized to 128×256."""

    _FOLDERS = {"train": "train", "validation": "val", "test": "test"}

    def __init__(
        self,
        root: PathLike,
        split: str = "train",
        preprocess: str = "resize_128x256",
        crop: Sequence[int] | int | None = None,
        size: Sequence[int] | int | None = None,
        hflip: bool | None = None,
        limit: int | None = None,
    ) -> None:
        check_split(split, "CityscapesStereo")
        base = _require_root(root, "Cityscapes", CITYSCAPES_LAYOUT, CITYSCAPES_SOURCE)
        sub = self._FOLDERS[split]
        left_dir, right_dir = base / "leftImg8bit" / sub, base / "rightImg8bit" / sub
        for d in (left_dir, right_dir):
            if not d.is_dir():
                _not_found("Cityscapes", base, CITYSCAPES_LAYOUT, CITYSCAPES_SOURCE, f"missing {d}")
        pairs, names = [], []
        for left in sorted(left_dir.glob("*/*_leftImg8bit.png")):
            prefix = left.name[: -len("_leftImg8bit.png")]
            right = right_dir / left.parent.name / f"{prefix}_rightImg8bit.png"
            if not right.is_file():
                raise StereoPairError(f"Cityscapes left view '{left}' has no right view '{right}'")
            pairs.append((left, right))
            names.append(f"{left.parent.name}/{prefix}")
        if not pairs:
            _not_found("Cityscapes", base, CITYSCAPES_LAYOUT, CITYSCAPES_SOURCE,
                       f"no *_leftImg8bit.png under {left_dir}/<city>/")
        super().__init__(pairs, split, names=names, preprocess=preprocess, crop=crop, size=size,
                         hflip=hflip, limit=limit)
