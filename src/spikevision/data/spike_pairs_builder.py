"""Simulated spike-camera training pairs: (spike window, ground-truth middle frame).

**Builder** (:func:`build_spike_pairs`): videos (anything imageio reads: mp4/avi/mov via
imageio-ffmpeg, gif), folders of image files (an image sequence, sorted by name) or in-memory
frame arrays are turned to grey, centre-cropped to the target aspect ratio, resized to ``size``
(256×256 by default) and run through the integrate-and-fire spike-camera model
(:func:`~spikevision.simulate.simulate_spikes`; accumulator starting at ``U(0, 1)·threshold``,
carried across the whole clip). Each window of ``window`` steps (32 by default; consecutive
windows start ``stride`` steps apart, ``stride = window`` by default) becomes a pair with the
frame shown at step ``start + window // 2`` as ground truth. Frames are streamed in chunks, so
long videos need little memory.

Layout of a built dataset ``root/``::

    meta.json                      parameters, sources, shard sizes
    shard_00000.spikes.npy         uint8 [n, window·H·W/8]  windows bit-packed (LSB first)
    shard_00000.images.npy         uint8 [n, H, W]          ground-truth frames
    shard_00000.sources.npy        int32 [n]                index of each pair's source in meta

It is written to a temporary folder and renamed into place.

The dataset that reads it is :class:`spikevision.data.spike_pairs.SpikePairs`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from spikevision.atomic_write import atomic_directory
from spikevision.errors import DatasetNotFoundError
from spikevision.simulate.spike_camera import simulate_spikes
from spikevision.transforms import center_crop

__all__ = ["build_spike_pairs", "iter_pairs", "iter_source_frames", "preprocess_frame"]

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
META_FILE = "meta.json"
FORMAT_VERSION = 1
LAYOUT = """  <root>/meta.json and <root>/shard_NNNNN.{spikes,images,sources}.npy
  (built by `python -m spikevision.cli.build_spike_pairs VIDEOS_OR_FOLDERS --out <root>`)"""

Source = str | os.PathLike | np.ndarray | Iterable[np.ndarray]


# ----------------------------------------------------------------------------- frames in


def preprocess_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A frame ``[H, W]`` or ``[H, W, C]`` (uint8, or float in [0, 1]) → grey float32 ``size``
    (H', W') in [0, 1]: ITU-R 601 luma, centre crop to the aspect ratio of ``size``, then a box
    (area) filter when shrinking or bicubic when enlarging."""
    arr = np.asarray(frame)
    scale = 255.0 if arr.dtype == np.uint8 else (65535.0 if arr.dtype == np.uint16 else 1.0)
    arr = arr.astype(np.float32) / scale
    if arr.ndim == 3:
        if arr.shape[2] == 1:
            arr = arr[..., 0]
        elif arr.shape[2] in (3, 4):
            arr = arr[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        else:
            raise ValueError(f"cannot convert a frame with {arr.shape[2]} channels to grey")
    if arr.ndim != 2:
        raise ValueError(f"expected a frame [H, W] or [H, W, C], got shape {arr.shape}")
    h, w = arr.shape
    th, tw = size
    ratio = min(h / th, w / tw)
    ch, cw = max(1, round(th * ratio)), max(1, round(tw * ratio))
    arr = center_crop(arr, (ch, cw))
    if arr.shape != (th, tw):
        method = Image.BOX if ch >= th else Image.BICUBIC
        arr = np.asarray(Image.fromarray(arr, mode="F").resize((tw, th), method))
    return np.clip(arr, 0.0, 1.0).astype(np.float32)


def _frame_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)
    if not files:
        raise DatasetNotFoundError(f"no image files ({', '.join(IMAGE_EXTS)}) in {folder}")
    return files


def iter_source_frames(source: Source) -> Iterator[np.ndarray]:
    """Raw frames of a video file, an image folder (sorted), an array ``[N, H, W(, C)]`` or any
    other iterable of frames (e.g. a generator rendering them lazily)."""
    if isinstance(source, np.ndarray):
        if source.ndim not in (3, 4):
            raise ValueError(f"a frame array must be [N, H, W] or [N, H, W, C], got {source.shape}")
        yield from source
        return
    if not isinstance(source, str | os.PathLike):
        yield from source
        return
    path = Path(source).expanduser()
    if path.is_dir():
        for f in _frame_files(path):
            with Image.open(f) as img:
                yield np.asarray(img.convert("L"))
        return
    if not path.is_file():
        raise DatasetNotFoundError(f"video or image folder not found: {path}")
    import imageio.v3 as iio

    try:
        yield from iio.imiter(path)
    except (OSError, ValueError, RuntimeError) as err:
        raise DatasetNotFoundError(f"cannot read video {path}: {err}") from err


# ----------------------------------------------------------------------------- simulation


def iter_pairs(
    frames: Iterable[np.ndarray],
    window: int = 32,
    stride: int | None = None,
    steps_per_frame: int = 1,
    threshold: float = 1.0,
    gain: float = 1.0,
    rng: np.random.Generator | None = None,
    chunk_frames: int = 64,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(spikes ``uint8 [window, H, W]``, ground truth ``float32 [H, W]``) pairs from preprocessed
    frames (``[H, W]`` in [0, 1]), simulated as one continuous stream."""
    stride = window if stride is None else stride
    if window < 1 or stride < 1 or steps_per_frame < 1:
        raise ValueError(f"window, stride and steps_per_frame must be ≥ 1, got {window}, {stride}, {steps_per_frame}")
    rng = rng if rng is not None else np.random.default_rng()
    acc: np.ndarray | None = None
    spikes_buf: np.ndarray | None = None  # steps [buf_step, buf_step + len)
    frames_buf: np.ndarray | None = None  # frames [buf_frame, buf_frame + len)
    buf_step = buf_frame = next_start = 0
    for chunk in _batched(iter(frames), chunk_frames):
        if acc is None:
            acc = rng.random(chunk.shape[1:]) * threshold
        spikes = simulate_spikes(chunk, steps_per_frame=steps_per_frame, threshold=threshold, gain=gain,
                                 initial=acc)
        # the accumulator after the chunk, in closed form: start + light in − threshold · spikes out
        acc = acc + gain * steps_per_frame * chunk.sum(0, dtype=np.float64) - threshold * spikes.sum(0)
        spikes_buf = spikes if spikes_buf is None else np.concatenate([spikes_buf, spikes])
        frames_buf = chunk if frames_buf is None else np.concatenate([frames_buf, chunk])
        while next_start + window <= buf_step + len(spikes_buf):
            s = next_start - buf_step
            gt = (next_start + window // 2) // steps_per_frame - buf_frame
            yield spikes_buf[s : s + window], frames_buf[gt]
            next_start += stride
        drop_steps = next_start - buf_step
        drop_frames = min(next_start // steps_per_frame - buf_frame, len(frames_buf))
        if drop_steps > 0:
            spikes_buf, buf_step = spikes_buf[drop_steps:], next_start
        if drop_frames > 0:
            frames_buf, buf_frame = frames_buf[drop_frames:], buf_frame + drop_frames


def _batched(frames: Iterator[np.ndarray], n: int) -> Iterator[np.ndarray]:
    buf: list[np.ndarray] = []
    for f in frames:
        buf.append(f)
        if len(buf) == n:
            yield np.stack(buf)
            buf = []
    if buf:
        yield np.stack(buf)


# ----------------------------------------------------------------------------- builder


def _source_name(source: Source, index: int) -> str:
    if isinstance(source, str | os.PathLike):
        return str(Path(source).expanduser().resolve())
    return f"<frames {index}>"


def build_spike_pairs(
    sources: Sequence[Source],
    out_dir: str | os.PathLike,
    *,
    window: int = 32,
    size: tuple[int, int] = (256, 256),
    stride: int | None = None,
    steps_per_frame: int = 1,
    threshold: float = 1.0,
    gain: float = 1.0,
    seed: int = 0,
    max_pairs_per_source: int | None = None,
    shard_size: int = 256,
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Simulate spike windows from ``sources`` into ``out_dir`` (see the module doc); returns it.

    ``gain`` scales intensities before integration (< 1: a dimmer scene); source ``i`` uses the
    random stream ``[seed, i]`` for its initial accumulator, so builds are reproducible.
    """
    out = Path(out_dir).expanduser()
    if (out / META_FILE).is_file() and not overwrite:
        raise FileExistsError(f"{out} already holds a spike-pair dataset; pass overwrite=True (--overwrite)")
    if not sources:
        raise ValueError("no sources given: pass video files, image folders or frame arrays")
    size = (int(size[0]), int(size[1]))
    if (window * size[0] * size[1]) % 8:
        raise ValueError(f"window·H·W must be a multiple of 8 for bit-packing, got {window}·{size[0]}·{size[1]}")
    from tqdm.auto import tqdm

    with atomic_directory(out) as tmp:  # a failure leaves ``out`` as it was
        shards: list[dict[str, Any]] = []
        pending: list[tuple[np.ndarray, np.ndarray, int]] = []

        def flush() -> None:
            if not pending:
                return
            name = f"shard_{len(shards):05d}"
            spikes = np.stack([packed for packed, _, _ in pending])
            images = np.stack([gt for _, gt, _ in pending])
            np.save(tmp / f"{name}.spikes.npy", spikes)
            np.save(tmp / f"{name}.images.npy", images)
            np.save(tmp / f"{name}.sources.npy", np.array([i for _, _, i in pending], np.int32))
            shards.append({"name": name, "count": len(pending)})
            pending.clear()

        counts = []
        bar = tqdm(total=len(sources), unit="source", disable=not progress, desc="spike pairs")
        for i, source in enumerate(sources):
            frames = (preprocess_frame(f, size) for f in iter_source_frames(source))
            n = 0
            pairs = iter_pairs(frames, window, stride, steps_per_frame, threshold, gain,
                               rng=np.random.default_rng([seed, i]))
            for spikes, gt in pairs:
                packed = np.packbits(spikes.reshape(-1), bitorder="little")
                pending.append((packed, np.round(gt * 255).astype(np.uint8), i))
                n += 1
                if len(pending) >= shard_size:
                    flush()
                if max_pairs_per_source is not None and n >= max_pairs_per_source:
                    break
            counts.append(n)
            bar.update(1)
            bar.set_postfix(pairs=sum(counts))
        bar.close()
        flush()
        if not shards:
            raise ValueError(
                f"the sources are too short: none has {window} spike steps "
                f"({-(-window // steps_per_frame)} frames at {steps_per_frame} step(s) per frame)"
            )
        meta = {
            "format": "spikevision-spike-pairs",
            "version": FORMAT_VERSION,
            "window": window,
            "height": size[0],
            "width": size[1],
            "stride": window if stride is None else stride,
            "steps_per_frame": steps_per_frame,
            "threshold": threshold,
            "gain": gain,
            "seed": seed,
            "num_pairs": sum(counts),
            "sources": [{"name": _source_name(s, i), "pairs": c} for i, (s, c) in enumerate(zip(sources, counts))],
            "shards": shards,
        }
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2))
    return out
