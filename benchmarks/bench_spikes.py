"""Time our vectorised TFI against the spikling seed's per-pixel Python loop, in one run.

The seed's ``interval_method(seq, mid)`` walks, for every pixel, forward from frame ``mid`` to
the first spike and backward from ``mid - 1`` to the previous spike, and returns
``uint8(255 / (up - down))``; a side without a spike stops at the first or last frame. Ours,
``tfi(spikes, center=mid - 1)``, finds the same two spikes (last at or before ``center``, first
after it) but defaults missing sides to the frames just outside the stream (-1 and N), one frame
further than the seed. The check below compares intervals after adding that frame back.

Usage: python benchmarks/bench_spikes.py [--frames 64] [--height 250] [--width 400]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spikevision.spikes import tfi, tfi_video


def seed_interval_loop(seq: np.ndarray, mid: int) -> tuple[np.ndarray, np.ndarray]:
    """Re-implementation of the seed's per-pixel loop; returns (uint8 image, interval)."""
    length, height, width = seq.shape
    interval = np.zeros((height, width), dtype=np.int64)
    for i in range(height):
        for j in range(width):
            up = mid  # first spike at or after mid; the last frame if none
            while up < length - 1 and seq[up, i, j] != 1:
                up += 1
            down = mid - 1  # last spike at or before mid - 1; frame 0 if none
            while down > 0 and seq[down, i, j] != 1:
                down -= 1
            interval[i, j] = up - down
    return (255 / interval).astype(np.uint8), interval


def best_time(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(frames: int, height: int, width: int, density: float, repeats: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    spikes = (rng.random((frames, height, width)) < density).astype(np.uint8)
    mid = frames // 2

    start = time.perf_counter()
    seed_image, seed_interval = seed_interval_loop(spikes, mid)
    loop_s = time.perf_counter() - start  # once: the loop takes seconds

    ours = tfi(spikes, mid - 1)
    ours_s = best_time(lambda: tfi(spikes, mid - 1), repeats)
    video_s = best_time(lambda: tfi_video(spikes, stride=1), max(1, repeats // 5)) / frames

    ours_interval = np.rint(1.0 / ours.astype(np.float64)).astype(np.int64)
    no_left = ~spikes[:mid].any(axis=0)  # seed stops at frame 0, we at -1
    no_right = ~spikes[mid:].any(axis=0)  # seed stops at frame N - 1, we at N
    expected = seed_interval + no_left + no_right
    same = bool(np.array_equal(ours_interval, expected))
    seed_convention = ours_interval - no_left - no_right  # back to the seed's defaults
    same_uint8 = bool(np.array_equal((255 / seed_convention).astype(np.uint8), seed_image))
    return {
        "density": density,
        "loop_s": loop_s,
        "tfi_s": ours_s,
        "video_per_frame_s": video_s,
        "same": same and same_uint8,
        "pixels_without_spike_on_a_side": int((no_left | no_right).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--height", type=int, default=250)
    parser.add_argument("--width", type=int, default=400)
    parser.add_argument("--densities", type=float, nargs="+", default=[0.1, 0.01])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(
        f"TFI on {args.frames}x{args.height}x{args.width} random spikes, centre frame "
        f"{args.frames // 2 - 1} (seed's mid = {args.frames // 2}); loop timed once, ours best "
        f"of {args.repeats}"
    )
    header = (
        "| density | seed loop (s) | tfi (ms) | speed-up | tfi_video per frame (ms) "
        "| same intervals |"
    )
    print(header)
    print("|---|---|---|---|---|---|")
    for density in args.densities:
        r = run(args.frames, args.height, args.width, density, args.repeats, args.seed)
        print(
            f"| {density:.0%} | {r['loop_s']:.2f} | {r['tfi_s'] * 1e3:.2f} "
            f"| {r['loop_s'] / r['tfi_s']:.0f}x | {r['video_per_frame_s'] * 1e3:.2f} "
            f"| {'yes' if r['same'] else 'NO'} ({r['pixels_without_spike_on_a_side']} pixels "
            f"with a missing side) |"
        )


if __name__ == "__main__":
    main()
