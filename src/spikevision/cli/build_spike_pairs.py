"""Build a (spike window, middle frame) training set from videos, image folders or synthetic scenes.

    python -m spikevision.cli.build_spike_pairs videos/*.mp4 frames_dir/ --out data/spike_pairs
    python -m spikevision.cli.build_spike_pairs --synthetic 64 --out data/spike_pairs_synthetic

Defaults follow spikling: 32-step windows at 256×256, one spike step per video frame,
integrate-and-fire threshold 1 on intensities in [0, 1]. See :mod:`spikevision.data.spike_pairs`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from spikevision.cli.console import console_main
from spikevision.data.spike_pairs_builder import build_spike_pairs
from spikevision.errors import SpikevisionError
from spikevision.simulate.moving_scene import render_moving_scene


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m spikevision.cli.build_spike_pairs",
                                description="Simulate spike-camera training pairs from videos.")
    p.add_argument("sources", nargs="*", help="video files (mp4/avi/mov/gif) or folders of image frames")
    p.add_argument("--out", required=True, help="output dataset folder")
    p.add_argument("--window", type=int, default=32, help="spike steps per pair (default 32)")
    p.add_argument("--size", type=int, nargs=2, default=(256, 256), metavar=("H", "W"),
                   help="frame size after centre crop + resize (default 256 256)")
    p.add_argument("--stride", type=int, help="steps between window starts (default: the window)")
    p.add_argument("--steps-per-frame", type=int, default=1, help="spike steps per video frame (default 1)")
    p.add_argument("--gain", type=float, default=1.0, help="light gain; < 1 simulates a dim scene (default 1)")
    p.add_argument("--threshold", type=float, default=1.0, help="integrate-and-fire threshold (default 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the initial accumulators")
    p.add_argument("--max-pairs", type=int, help="at most this many pairs per source")
    p.add_argument("--synthetic", type=int, default=0, metavar="N",
                   help="add N procedural moving scenes (no files needed)")
    p.add_argument("--synthetic-steps", type=int, default=256, help="spike steps per synthetic scene")
    p.add_argument("--synthetic-speed", type=float, default=0.05, help="shape speed, pixels per step")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset at --out")
    return p


def _synthetic_frames(steps: int, h: int, w: int, seed: int, speed: float, chunk: int = 32) -> Iterator[np.ndarray]:
    for s in range(0, steps, chunk):
        yield from render_moving_scene(np.arange(s, min(s + chunk, steps)), h, w, seed=seed, speed=speed)


def run(argv: Sequence[str] | None = None) -> Path:
    opt = get_parser().parse_args(argv)
    h, w = opt.size
    sources: list = list(opt.sources)
    for k in range(opt.synthetic):  # rendered lazily at the output size, one frame per spike step
        sources.append(_synthetic_frames(opt.synthetic_steps, h, w, opt.seed * 100_003 + k, opt.synthetic_speed))
    if not sources:
        raise SpikevisionError("nothing to build: give video files / image folders or --synthetic N")
    out = build_spike_pairs(
        sources, opt.out, window=opt.window, size=(h, w), stride=opt.stride,
        steps_per_frame=opt.steps_per_frame, threshold=opt.threshold, gain=opt.gain, seed=opt.seed,
        max_pairs_per_source=opt.max_pairs, overwrite=opt.overwrite,
    )
    print(f"wrote {out}")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv, expected=(FileExistsError, ValueError))


if __name__ == "__main__":
    main()
