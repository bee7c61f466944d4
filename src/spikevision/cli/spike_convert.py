"""Spike-camera ``.dat`` recording → a PNG at one frame, or a video (mp4/avi/gif).

    python -m spikevision.cli.spike_convert rec.dat --frame 500 -o frame.png --method interval
    python -m spikevision.cli.spike_convert rec.dat --video out.mp4 --stride 2 --method window --window 32
    python -m spikevision.cli.spike_convert rec.dat --video out.gif --method model --checkpoint last.ckpt

Methods (all give 8-bit grey images):

- ``raw``: the spike frame itself (spike = 255);
- ``window`` (TFP): mean firing over ``--window`` frames (default 32) around the frame, × 255;
- ``interval`` (TFI): 1 / inter-spike interval around the frame, × 255, searching up to
  ``--window`` frames each way (default 128; a pixel with no spike within it reads
  1/(2·128)·255 < 1 grey level, the same 8-bit value as an unbounded search);
- ``model``: a trained restorer checkpoint (e.g. :class:`~spikevision.models.spikecnn.SpikeCnnModel`)
  on the window of frames it was trained with, starting ``window // 2`` frames before the frame.

Frames are read from the file in chunks (``--chunk`` output frames at a time), so long
recordings need little memory. ``--gain`` brightens dim output before clipping to 255.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spikevision.cli.console import console_main
from spikevision.errors import SpikevisionError
from spikevision.io import read_spike_dat
from spikevision.spikes import tfi_video, tfp_video

METHODS = ("raw", "window", "interval", "model")
VIDEO_EXTS = (".mp4", ".avi", ".gif", ".mov", ".mkv")
DEFAULT_WINDOW = {"window": 32, "interval": 128}


class ConvertError(SpikevisionError, ValueError):
    """Bad conversion arguments (frame out of range, unknown output type, unusable checkpoint)."""


def count_frames(path: str | os.PathLike, height: int, width: int) -> int:
    """Frames in a ``.dat`` file of ``height``×``width`` frames (clear error when sizes do not fit)."""
    path = Path(path)
    if not path.is_file():
        raise ConvertError(f"recording not found: {path}")
    if height <= 0 or width <= 0 or (height * width) % 8:
        raise ConvertError(f"--height × --width must be a positive multiple of 8 (8 pixels per byte), "
                           f"got {height}×{width} = {height * width}")
    bpf = height * width // 8
    size = path.stat().st_size
    if size == 0 or size % bpf:
        raise ConvertError(
            f"{path}: {size} bytes is not a whole number of {height}×{width} frames ({bpf} bytes each; "
            f"{size % bpf} bytes left over). Check --height/--width (the 250×400 camera uses 12500 bytes per frame)."
        )
    return size // bpf


def load_restorer(checkpoint: str | os.PathLike, config: str | os.PathLike | None = None,
                  device: str = "cpu") -> torch.nn.Module:
    """A restorer LightningModule from a checkpoint; the class comes from ``config`` (a run's
    ``configs/*-project.yaml``), the run directory around the checkpoint, or defaults to
    :class:`SpikeCnnModel`. It must have ``restore(spikes [B, T, H, W]) → [B, H, W]``. Loading
    (``weights_only=True``, the class's ``inference_params``) is :mod:`spikevision.stages`'."""
    from spikevision.models.spikecnn import SpikeCnnModel
    from spikevision.stages import checkpoint_model_class, load_lightning_checkpoint

    ckpt = Path(checkpoint).expanduser()
    if not ckpt.is_file():
        raise ConvertError(f"checkpoint not found: {ckpt}")
    cls: Any = checkpoint_model_class(ckpt, config, default=SpikeCnnModel)
    if not hasattr(cls, "restore"):
        raise ConvertError(f"{cls.__name__} has no restore(); --method model needs a spike restorer "
                           "such as spikevision.models.spikecnn.SpikeCnnModel")
    return load_lightning_checkpoint(cls, ckpt, device)  # CheckpointError if corrupt or holding code


def _needed(method: str, center: int, window: int, n: int) -> tuple[int, int]:
    """Frames ``[lo, hi)`` that ``method`` reads for the output at ``center``."""
    if method == "raw":
        return center, center + 1
    if method == "window":
        lo = center - window // 2
        return max(lo, 0), min(lo + window, n)
    if method == "interval":
        return max(center - window, 0), min(center + window + 1, n)
    start = min(max(center - window // 2, 0), n - window)
    return start, start + window


def convert_frames(
    path: str | os.PathLike,
    centers: Sequence[int],
    method: str = "window",
    height: int = 250,
    width: int = 400,
    window: int | None = None,
    model: torch.nn.Module | None = None,
    gain: float = 1.0,
    chunk: int = 64,
    batch_size: int = 8,
    progress: bool = False,
) -> Iterator[np.ndarray]:
    """``uint8 [H, W]`` images of ``method`` at frame indices ``centers`` (ascending), one by one."""
    from tqdm.auto import tqdm

    if method not in METHODS:
        raise ConvertError(f"unknown method '{method}'; choose from {', '.join(METHODS)}")
    n = count_frames(path, height, width)
    if method == "model":
        if model is None:
            raise ConvertError("--method model needs --checkpoint")
        frames_in = getattr(model, "input_frames", None)
        window = int(frames_in or window or 32)
        if window > n:
            raise ConvertError(f"the model needs {window} frames but the recording has {n}")
    else:
        window = int(window or DEFAULT_WINDOW.get(method, 1))
        if window < 1:
            raise ConvertError(f"--window must be ≥ 1, got {window}")
    centers = [int(c) for c in centers]
    bad = [c for c in centers if not 0 <= c < n]
    if bad:
        raise ConvertError(f"frame {bad[0]} is outside the recording (frames 0..{n - 1} of {height}×{width})")
    bar = tqdm(total=len(centers), unit="frame", disable=not progress, desc=f"{method}")
    for i in range(0, len(centers), chunk):
        group = centers[i : i + chunk]
        spans = [_needed(method, c, window, n) for c in group]
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        spikes = read_spike_dat(path, height, width, start=lo, count=hi - lo)
        rel = np.asarray(group) - lo
        if method == "raw":
            images = spikes[rel].astype(np.float32)
        elif method == "window":
            images = tfp_video(spikes, window)[rel]
        elif method == "interval":
            images = tfi_video(spikes, window=window)[rel]
        else:
            starts = [s[0] - lo for s in spans]
            images = np.concatenate([
                _restore(model, np.stack([spikes[s : s + window] for s in starts[b : b + batch_size]]))
                for b in range(0, len(starts), batch_size)
            ])
        for img in images:
            yield np.clip(np.round(img * 255.0 * gain), 0, 255).astype(np.uint8)
        bar.update(len(group))
    bar.close()


def _restore(model: Any, windows: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(windows.astype(np.float32))
    with torch.no_grad():
        return model.restore(x).float().cpu().numpy()


def write_video(path: str | os.PathLike, frames: Iterator[np.ndarray], fps: float) -> int:
    """Write grey frames to mp4/avi/mov/mkv (ffmpeg, sizes padded to even) or gif; returns count."""
    import imageio

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in VIDEO_EXTS:
        raise ConvertError(f"unsupported video type '{ext}'; use one of {', '.join(VIDEO_EXTS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".gif":
        writer = imageio.get_writer(path, mode="I", duration=1000.0 / fps, loop=0)
    else:
        writer = imageio.get_writer(path, fps=fps, macro_block_size=1, quality=8)
    count = 0
    try:
        for frame in frames:
            if ext != ".gif":  # yuv420p needs even sizes
                frame = np.pad(frame, ((0, frame.shape[0] % 2), (0, frame.shape[1] % 2)), mode="edge")
            writer.append_data(frame)
            count += 1
    finally:
        writer.close()
    return count


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spikevision.cli.spike_convert",
        description="Convert a spike-camera .dat recording to a PNG frame or a video.",
    )
    p.add_argument("recording", help="spike-camera .dat file")
    p.add_argument("--height", type=int, default=250, help="frame height in pixels (default 250)")
    p.add_argument("--width", type=int, default=400, help="frame width in pixels (default 400)")
    p.add_argument("--method", choices=METHODS, default="window", help="reconstruction (default window)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--frame", type=int, help="write one PNG at this frame index")
    what.add_argument("--video", help="write a video: .mp4, .avi or .gif")
    p.add_argument("-o", "--output", help="PNG path for --frame (default <recording>_<method>_<frame>.png)")
    p.add_argument("--window", type=int, help="window length (window: 32) or search half-width (interval: 128)")
    p.add_argument("--stride", type=int, default=1, help="spike frames between video frames (default 1)")
    p.add_argument("--start", type=int, default=0, help="first spike frame of the video (default 0)")
    p.add_argument("--count", type=int, help="spike frames to cover in the video (default: to the end)")
    p.add_argument("--fps", type=float, default=25.0, help="video frame rate (default 25)")
    p.add_argument("--gain", type=float, default=1.0, help="multiply intensities before clipping (default 1)")
    p.add_argument("--checkpoint", help="trained restorer checkpoint (.ckpt) for --method model")
    p.add_argument("--config", help="the run's project config, if the checkpoint is not inside its run dir")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch-size", type=int, default=8, help="windows per model call (default 8)")
    p.add_argument("--chunk", type=int, default=64, help="output frames computed per read (default 64)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run(argv: Sequence[str] | None = None) -> Path:
    """Parse ``argv``, convert, and return the written file."""
    import imageio.v3 as iio

    opt = get_parser().parse_args(argv)
    n = count_frames(opt.recording, opt.height, opt.width)
    model = None
    if opt.method == "model":
        if not opt.checkpoint:
            raise ConvertError("--method model needs --checkpoint")
        model = load_restorer(opt.checkpoint, opt.config, opt.device)
    elif opt.checkpoint:
        raise ConvertError(f"--checkpoint is only used with --method model (got --method {opt.method})")
    if opt.stride < 1 or opt.fps <= 0 or opt.chunk < 1:
        raise ConvertError("--stride and --chunk must be ≥ 1 and --fps positive")
    common = dict(method=opt.method, height=opt.height, width=opt.width, window=opt.window, model=model,
                  gain=opt.gain, chunk=opt.chunk, batch_size=opt.batch_size)
    if opt.frame is not None:
        out = Path(opt.output or f"{Path(opt.recording).with_suffix('')}_{opt.method}_{opt.frame}.png")
        if out.suffix.lower() != ".png":
            raise ConvertError(f"--frame writes a PNG; got output '{out}'")
        image = next(convert_frames(opt.recording, [opt.frame], **common))
        out.parent.mkdir(parents=True, exist_ok=True)
        iio.imwrite(out, image)
        print(f"wrote {out} ({opt.method}, frame {opt.frame} of {n})")
        return out
    stop = n if opt.count is None else opt.start + opt.count
    if not 0 <= opt.start < n or not opt.start < stop <= n:
        raise ConvertError(f"--start/--count select frames [{opt.start}, {stop}) outside the recording "
                           f"(0..{n - 1})")
    centers = range(opt.start, stop, opt.stride)
    frames = convert_frames(opt.recording, centers, progress=not opt.quiet, **common)
    written = write_video(opt.video, frames, opt.fps)
    print(f"wrote {opt.video} ({written} frames, {opt.method}, stride {opt.stride})")
    return Path(opt.video)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: our errors print as one line (exit status 2)."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
