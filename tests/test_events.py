"""Event frames and voxel grids: hand-computed cases, invariants, tonic, numpy vs torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spikevision.events import (
    _common,
    events_to_tensors,
    to_frames,
    to_frames_torch,
    to_voxel_grid,
    to_voxel_grid_torch,
)
from spikevision.io.event_array import EVENT_DTYPE, empty_events, make_events

H, W = 6, 5


def random_events(n: int, seed: int = 0, t_max: int = 10_000, sort: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, t_max, n)
    return make_events(
        rng.integers(0, W, n),
        rng.integers(0, H, n),
        np.sort(t) if sort else t,
        rng.integers(0, 2, n),
    )


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 64 events, so that short streams exercise the chunked paths."""
    monkeypatch.setattr(_common, "CHUNK", 64)


# --- frames -------------------------------------------------------------------------------


def test_frames_hand_computed_bins():
    # span 10, 3 bins: 3*dt//10 -> 0, 0, 2, and t1 -> 3 clamped to 2
    events = make_events([0, 1, 2, 3], [0, 1, 2, 3], [100, 103, 107, 110], [1, 0, 1, 1])
    frames = to_frames(events, 3, H, W)
    assert frames.shape == (3, 2, H, W) and frames.dtype == np.float32
    expected = np.zeros((3, 2, H, W), np.float32)
    expected[0, 1, 0, 0] = 1  # t=100, ON
    expected[0, 0, 1, 1] = 1  # t=103, OFF
    expected[2, 1, 2, 2] = 1  # t=107
    expected[2, 1, 3, 3] = 1  # t=110, the last event, kept in the last bin
    np.testing.assert_array_equal(frames, expected)


def test_frames_count_repeated_events():
    events = make_events([4, 4, 4], [5, 5, 5], [0, 0, 9], [0, 0, 1])
    frames = to_frames(events, 2, H, W)
    assert frames[0, 0, 5, 4] == 2 and frames[1, 1, 5, 4] == 1 and frames.sum() == 3


@pytest.mark.parametrize("num_bins", [1, 2, 7, 10, 100])
@pytest.mark.parametrize("sort", [True, False])
def test_frames_keep_every_event(small_chunks, num_bins, sort):
    events = random_events(1000, seed=num_bins, sort=sort)
    frames = to_frames(events, num_bins, H, W)
    assert frames.sum() == len(events)
    assert frames[:, 1].sum() == events["p"].sum()  # ON channel
    np.testing.assert_array_equal(frames.sum(axis=(0, 1)), per_pixel_counts(events))


def per_pixel_counts(events: np.ndarray) -> np.ndarray:
    counts = np.zeros((H, W))
    np.add.at(counts, (events["y"].astype(int), events["x"].astype(int)), 1)
    return counts


def reference_frames(events: np.ndarray, num_bins: int) -> np.ndarray:
    """Straightforward per-event reference of the binning rule (Python ints)."""
    out = np.zeros((num_bins, 2, H, W), np.float32)
    t = [int(v) for v in events["t"]]
    t0, span = min(t), max(t) - min(t)
    for e, ti in zip(events, t):
        b = 0 if span == 0 else min(num_bins * (ti - t0) // span, num_bins - 1)
        out[b, int(e["p"] > 0), e["y"], e["x"]] += 1
    return out


@pytest.mark.parametrize("num_bins", [1, 3, 10, 80])
def test_frames_match_reference_unsorted_and_chunked(small_chunks, num_bins):
    events = random_events(500, seed=3, t_max=997, sort=False)
    np.testing.assert_array_equal(
        to_frames(events, num_bins, H, W), reference_frames(events, num_bins)
    )
    sorted_events = np.sort(events, order="t", kind="stable")
    np.testing.assert_array_equal(
        to_frames(sorted_events, num_bins, H, W), to_frames(events, num_bins, H, W)
    )


def test_span_guess_falls_back_when_first_and_last_are_not_the_extremes(small_chunks):
    events = random_events(300, seed=4)
    events["t"][0], events["t"][-1] = 5_000, 5_001  # interior events lie outside [5000, 5001]
    np.testing.assert_array_equal(to_frames(events, 4, H, W), reference_frames(events, 4))
    unsorted_grid = to_voxel_grid(events, 4, H, W)
    sorted_grid = to_voxel_grid(np.sort(events, order="t", kind="stable"), 4, H, W)
    np.testing.assert_allclose(unsorted_grid, sorted_grid, rtol=1e-6, atol=1e-6)


def test_frames_degenerate_streams():
    assert not to_frames(empty_events(), 4, H, W).any()
    assert to_frames(empty_events(), 4, H, W).shape == (4, 2, H, W)
    same_time = make_events([0, 1, 2], [0, 0, 0], [7, 7, 7], [1, 0, 1])
    frames = to_frames(same_time, 4, H, W)
    assert frames[0].sum() == 3 and frames[1:].sum() == 0


def test_frames_vs_tonic_when_the_span_divides_evenly():
    """tonic 1.7 ToFrame(n_time_bins) agrees except that it drops the events at t1."""
    tonic = pytest.importorskip("tonic")
    rng = np.random.default_rng(5)
    n = 2000
    t = np.sort(np.concatenate([[0, 1000, 1000], rng.integers(0, 1001, n - 3)]))
    events = make_events(rng.integers(0, W, n), rng.integers(0, H, n), t, rng.integers(0, 2, n))
    ours = to_frames(events, 10, H, W)
    theirs = tonic.transforms.ToFrame(sensor_size=(W, H, 2), n_time_bins=10)(events.copy())
    at_t1 = events[events["t"] == 1000]
    assert len(at_t1) >= 2
    assert theirs.sum() == n - len(at_t1)  # tonic loses the last events
    expected = theirs.astype(np.float32)
    expected[9] += to_frames(at_t1, 1, H, W)[0]
    np.testing.assert_array_equal(ours, expected)


# --- voxel grid ---------------------------------------------------------------------------


def test_voxel_hand_computed_weights():
    # 3 bins, span 8: t* = 2 * dt / 8 -> 0, 0.25, 1.5, 2
    events = make_events([0, 1, 2, 3], [0, 0, 0, 0], [0, 1, 6, 8], [1, 0, 1, 1])
    grid = to_voxel_grid(events, 3, H, W)
    assert grid.shape == (3, H, W) and grid.dtype == np.float32
    expected = np.zeros((3, H, W), np.float32)
    expected[0, 0, 0] = 1.0
    expected[0, 0, 1], expected[1, 0, 1] = -0.75, -0.25  # OFF
    expected[1, 0, 2], expected[2, 0, 2] = 0.5, 0.5
    expected[2, 0, 3] = 1.0  # the last event is kept
    np.testing.assert_array_equal(grid, expected)


@pytest.mark.parametrize("num_bins", [1, 2, 5, 9])
def test_voxel_mass_of_on_events_is_their_count(small_chunks, num_bins):
    events = random_events(1000, seed=num_bins, sort=False)
    events["p"] = 1
    grid = to_voxel_grid(events, num_bins, H, W)
    assert grid.min() >= 0
    assert grid.sum(dtype=np.float64) == pytest.approx(len(events), rel=1e-7)  # float32 cells
    np.testing.assert_allclose(grid.sum(axis=0), per_pixel_counts(events), rtol=1e-6)


def test_voxel_signed_sum_is_on_minus_off(small_chunks):
    events = random_events(777, seed=8)
    n_on = int(events["p"].sum())
    grid = to_voxel_grid(events, 6, H, W)
    assert grid.sum(dtype=np.float64) == pytest.approx(n_on - (len(events) - n_on), abs=1e-6)


def test_voxel_degenerate_streams():
    assert not to_voxel_grid(empty_events(), 3, H, W).any()
    same_time = make_events([0, 1, 1], [2, 2, 2], [5, 5, 5], [1, 1, 0])
    grid = to_voxel_grid(same_time, 3, H, W)  # t* = 0 for all: no division by zero
    assert np.isfinite(grid).all()
    assert grid[0, 2, 0] == 1 and grid[0, 2, 1] == 0 and grid[1:].sum() == 0
    events = random_events(50)
    np.testing.assert_array_equal(to_voxel_grid(events, 1, H, W)[0], signed_counts(events))


def signed_counts(events: np.ndarray) -> np.ndarray:
    out = np.zeros((H, W))
    np.add.at(out, (events["y"].astype(int), events["x"].astype(int)), 2.0 * events["p"] - 1)
    return out


def test_voxel_vs_tonic():
    """tonic 1.7 scales by B instead of B - 1: our B + 1 bins hold its B bins plus the dropped
    mass in the extra last bin."""
    tonic = pytest.importorskip("tonic")
    events = random_events(3000, seed=9)
    theirs = tonic.transforms.ToVoxelGrid(sensor_size=(W, H, 2), n_time_bins=4)(events)[:, 0]
    ours = to_voxel_grid(events, 5, H, W)
    np.testing.assert_allclose(ours[:4], theirs, rtol=1e-5, atol=1e-5)
    on_only = events.copy()
    on_only["p"] = 1
    lost = len(events) - tonic.transforms.ToVoxelGrid((W, H, 2), 4)(on_only).sum()
    assert lost >= 1  # at least the last event
    assert to_voxel_grid(on_only, 5, H, W)[4].sum() == pytest.approx(lost, rel=1e-6)
    assert to_voxel_grid(on_only, 4, H, W).sum() == pytest.approx(len(events), rel=1e-6)


def test_voxel_normalize():
    events = random_events(400, seed=10)
    raw = to_voxel_grid(events, 4, H, W)
    norm = to_voxel_grid(events, 4, H, W, normalize=True)
    nonzero = raw != 0
    assert (norm[~nonzero] == 0).all()
    assert norm[nonzero].mean() == pytest.approx(0, abs=1e-5)
    assert norm[nonzero].std() == pytest.approx(1, rel=1e-4)
    assert not to_voxel_grid(empty_events(), 2, H, W, normalize=True).any()
    single = make_events([1], [1], [3], [1])  # one nonzero entry: std 0, left as is
    np.testing.assert_array_equal(
        to_voxel_grid(single, 2, H, W, normalize=True), to_voxel_grid(single, 2, H, W)
    )


# --- checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [to_frames, to_voxel_grid])
def test_events_outside_the_sensor_raise(fn):
    with pytest.raises(ValueError, match="outside the 5x6"):
        fn(make_events([0, W], [0, 0], [0, 1], [1, 1]), 2, H, W)
    with pytest.raises(ValueError, match="outside"):
        fn(make_events([0, 0], [H, 0], [0, 1], [1, 1]), 2, H, W)
    signed = np.zeros(2, dtype=[("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", np.int8)])
    signed["x"] = [-1, 0]
    with pytest.raises(ValueError, match="outside"):
        fn(signed, 2, H, W)
    with pytest.raises(ValueError, match="num_bins"):
        fn(random_events(3), 0, H, W)
    with pytest.raises(TypeError):
        fn(np.zeros(3), 2, H, W)


@pytest.mark.parametrize("fn", [to_frames_torch, to_voxel_grid_torch])
def test_torch_events_outside_the_sensor_raise(fn):
    inputs = events_to_tensors([make_events([0, W], [0, 0], [0, 1], [1, 1])])
    with pytest.raises(ValueError, match="outside the 5x6"):
        fn(**inputs, batch_size=1, num_bins=2, height=H, width=W)
    with pytest.raises(ValueError, match="batch_index"):
        fn(**events_to_tensors([random_events(5)] * 2), batch_size=1, num_bins=2, height=H, width=W)


# --- numpy vs torch -----------------------------------------------------------------------


def batch_streams() -> list[np.ndarray]:
    same_time = make_events([1, 2], [3, 4], [50, 50], [0, 1])
    return [
        random_events(700, seed=11),
        empty_events(),
        random_events(150, seed=12, sort=False),
        same_time,
    ]


@pytest.mark.parametrize("num_bins", [1, 3, 8])
def test_frames_torch_equals_numpy_per_sample(num_bins):
    streams = batch_streams()
    inputs = events_to_tensors(streams)
    assert all(v.dtype == torch.int64 for v in inputs.values())
    assert inputs["batch_index"].tolist() == sum(([i] * len(s) for i, s in enumerate(streams)), [])
    out = to_frames_torch(**inputs, batch_size=len(streams), num_bins=num_bins, height=H, width=W)
    assert out.shape == (len(streams), num_bins, 2, H, W) and out.dtype == torch.float32
    for sample, events in zip(out, streams):
        np.testing.assert_array_equal(sample.numpy(), to_frames(events, num_bins, H, W))


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("num_bins", [1, 3, 8])
def test_voxel_torch_equals_numpy_per_sample(num_bins, normalize):
    streams = batch_streams()
    if normalize:  # ON only: no cancellation, so both agree on which entries are zero
        for s in streams:
            s["p"] = 1
    inputs = events_to_tensors(streams)
    out = to_voxel_grid_torch(
        **inputs, batch_size=len(streams), num_bins=num_bins, height=H, width=W, normalize=normalize
    )
    assert out.shape == (len(streams), num_bins, H, W) and out.dtype == torch.float32
    for sample, events in zip(out, streams):
        expected = to_voxel_grid(events, num_bins, H, W, normalize=normalize)
        np.testing.assert_allclose(sample.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_torch_accepts_other_integer_dtypes_and_trailing_empty_samples():
    events = random_events(40, seed=13)
    inputs = events_to_tensors([events])
    inputs = {k: v.to(torch.int32) for k, v in inputs.items()}
    out = to_frames_torch(**inputs, batch_size=3, num_bins=2, height=H, width=W)
    np.testing.assert_array_equal(out[0].numpy(), to_frames(events, 2, H, W))
    assert not out[1:].any()
    assert events_to_tensors([])["x"].shape == (0,)


def test_event_dtype_is_the_shared_one():
    assert random_events(2).dtype == EVENT_DTYPE


def test_all_equal_timestamps_where_tonic_fails():
    """tonic 1.7 fills its voxel grid with NaN and its frames with nothing; ours keep all."""
    tonic = pytest.importorskip("tonic")
    events = make_events([0, 1, 2], [0, 0, 0], [5, 5, 5], [1, 0, 1])
    with np.errstate(invalid="ignore", divide="ignore"):  # tonic divides 0 by 0
        theirs = tonic.transforms.ToVoxelGrid((W, H, 2), 3)(events)
    assert np.isnan(theirs).any()
    assert tonic.transforms.ToFrame((W, H, 2), n_time_bins=3)(events).sum() == 0
    assert to_voxel_grid(events, 3, H, W).sum() == 1.0  # +1 - 1 + 1
    assert to_frames(events, 3, H, W).sum() == 3
