"""Time our event frames and voxel grid against tonic 1.7's, and the batched torch paths.

One random stream (uniform pixels on a 346x260 sensor, random polarity, sorted timestamps over
1 s) goes through ours and tonic's ``ToFrame(n_time_bins=B)`` / ``ToVoxelGrid(n_time_bins=B)``
in the same run; each is timed as the best of ``--repeats`` calls. "Kept" counts how many events
reach the output: the sum of the frames, and the mass of the voxel grid of the same stream with
every polarity set to ON (each event should contribute exactly 1).

The torch section splits the stream into ``--batch`` samples and compares one batched call on
the CPU (and on CUDA when available) with a numpy call per sample; inputs are built beforehand
with ``events_to_tensors`` (and moved to the device), as a collate function would.

Usage: python benchmarks/bench_events.py [--events 1000000] [--bins 10] [--repeats 10]
       [--device auto|cpu|cuda] [--batch 4] [--torch-threads 1]
"""

from __future__ import annotations

import argparse
import platform
import time
from functools import partial

import numpy as np
import torch

from spikevision.events import (
    events_to_tensors,
    to_frames,
    to_frames_torch,
    to_voxel_grid,
    to_voxel_grid_torch,
)
from spikevision.io.event_array import make_events


def best_time(fn, repeats: int, sync=None) -> float:
    """Best wall time of ``repeats`` calls, in seconds (``sync`` runs before each stop)."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - start)
    return min(times)


def per_sample(fn, samples, bins: int, height: int, width: int) -> list[np.ndarray]:
    return [fn(s, bins, height, width) for s in samples]


def random_stream(n: int, height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return make_events(
        rng.integers(0, width, n),
        rng.integers(0, height, n),
        np.sort(rng.integers(0, 1_000_000, n)),
        rng.integers(0, 2, n),
    )


def compare_with_tonic(events: np.ndarray, bins: int, height: int, width: int, repeats: int):
    import tonic

    sensor = (width, height, 2)
    tonic_frames = tonic.transforms.ToFrame(sensor_size=sensor, n_time_bins=bins)
    tonic_voxel = tonic.transforms.ToVoxelGrid(sensor_size=sensor, n_time_bins=bins)
    on_only = events.copy()
    on_only["p"] = 1
    n = len(events)
    rows = []
    for name, ours, theirs, kept in [
        (
            "frames",
            lambda e: to_frames(e, bins, height, width),
            lambda e: tonic_frames(e),  # 2 polarities: tonic leaves e untouched
            lambda out: float(np.abs(out).sum()),
        ),
        (
            "voxel grid",
            lambda e: to_voxel_grid(e, bins, height, width),
            lambda e: tonic_voxel(e),
            lambda out: float(out.sum()),
        ),
    ]:
        ours_s = best_time(partial(ours, events), repeats)
        theirs_s = best_time(partial(theirs, events), repeats)
        sample = events if name == "frames" else on_only
        rows.append((name, ours_s, theirs_s, kept(ours(sample)), kept(theirs(sample)), n))
    print(
        f"\n{n:,} events, {width}x{height} sensor, {bins} bins; best of {repeats} "
        f"(tonic {tonic.__version__}, numpy {np.__version__})"
    )
    print("| representation | ours (ms) | tonic (ms) | speed-up | kept by ours | kept by tonic |")
    print("|---|---|---|---|---|---|")
    for name, ours_s, theirs_s, ours_kept, theirs_kept, total in rows:
        print(
            f"| {name} | {ours_s * 1e3:.2f} | {theirs_s * 1e3:.2f} | {theirs_s / ours_s:.1f}x "
            f"| {ours_kept:,.2f} / {total:,} | {theirs_kept:,.2f} / {total:,} |"
        )


def compare_torch(events, bins, height, width, repeats, batch, devices) -> None:
    samples = np.array_split(events, batch)
    print(
        f"\nBatched torch vs numpy per sample: {batch} samples of ~{len(samples[0]):,} events; "
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads"
    )
    print(
        "| representation | device | numpy loop (ms) | torch batched (ms) | numpy / torch "
        "| max abs diff |"
    )
    print("|---|---|---|---|---|---|")
    for name, numpy_fn, torch_fn in [
        ("frames", to_frames, to_frames_torch),
        ("voxel grid", to_voxel_grid, to_voxel_grid_torch),
    ]:
        numpy_s = best_time(partial(per_sample, numpy_fn, samples, bins, height, width), repeats)
        expected = torch.from_numpy(np.stack([numpy_fn(s, bins, height, width) for s in samples]))
        for device in devices:
            inputs = events_to_tensors(samples, device=device)
            sync = torch.cuda.synchronize if device.type == "cuda" else None

            call = partial(
                torch_fn, **inputs, batch_size=batch, num_bins=bins, height=height, width=width
            )
            torch_s = best_time(call, repeats, sync)
            diff = float((call().cpu() - expected).abs().max())
            print(
                f"| {name} | {device.type} | {numpy_s * 1e3:.2f} | {torch_s * 1e3:.2f} "
                f"| {numpy_s / torch_s:.2f}x | {diff:.1e} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--height", type=int, default=260)
    parser.add_argument("--width", type=int, default=346)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--torch-threads", type=int, default=1, help="CPU threads for torch (numpy uses 1)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)

    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    events = random_stream(args.events, args.height, args.width, args.seed)
    compare_with_tonic(events, args.bins, args.height, args.width, args.repeats)

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: CUDA is not available")
    devices = [torch.device("cpu")]
    if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
        devices.append(torch.device("cuda"))
    compare_torch(events, args.bins, args.height, args.width, args.repeats, args.batch, devices)


if __name__ == "__main__":
    main()
