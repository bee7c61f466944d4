"""Event (saccade/contrast-threshold) and spike-camera (integrate-and-fire) simulators."""

import numpy as np
import pytest

from spikevision.io.event_array import EVENT_DTYPE
from spikevision.simulate.saccade_events import (
    saccade_path,
    simulate_saccade_events,
    simulate_saccade_events_batch,
    simulate_video_events,
)
from spikevision.simulate.spike_camera import simulate_spikes

EPS, C = 0.1, 0.2


def _one_pixel(i0, i1, t1=1000.0, **kw):
    frames = np.array([i0, i1], dtype=np.float64).reshape(2, 1, 1)
    return simulate_video_events(frames, [0.0, t1], threshold=C, threshold_sigma=0.0, eps=EPS,
                                 **kw)


def _digit_like(size=34):
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot(yy - size / 2, xx - size / 2)
    return np.clip(1.5 - np.abs(r - size / 4) / 2, 0, 1)  # a bright ring


@pytest.mark.parametrize("i0,i1,pol", [(0.2, 0.9, 1), (0.9, 0.2, 0), (0.05, 0.6, 1)])
def test_single_pixel_step_counts_and_times(i0, i1, pol):
    ev = _one_pixel(i0, i1)
    dl = np.log(i1 + EPS) - np.log(i0 + EPS)
    n = int(np.floor(abs(dl) / C))
    assert ev.dtype == EVENT_DTYPE and len(ev) == n > 0
    assert np.all(ev["p"] == pol) and np.all(ev["x"] == 0) and np.all(ev["y"] == 0)
    expected_t = np.rint(1000.0 * np.arange(1, n + 1) * C / abs(dl)).astype(np.int64)
    np.testing.assert_array_equal(ev["t"], expected_t)


def test_reference_carries_over_between_steps():
    # 0.2 -> 0.9 gives 6 ON events (residual 0.004 in log units), back to 0.2 gives 6 OFF.
    frames = np.array([0.2, 0.9, 0.9, 0.2]).reshape(4, 1, 1)
    ev = simulate_video_events(frames, [0, 1000, 2000, 3000], threshold=C, threshold_sigma=0,
                               eps=EPS)
    assert ev["p"].tolist() == [1] * 6 + [0] * 6
    assert np.all(ev["t"][:6] <= 1000) and np.all(ev["t"][6:] > 2000)


def test_constant_input_gives_no_events():
    img = _digit_like()
    assert len(simulate_video_events(np.stack([img] * 5), np.arange(5) * 1e3, seed=0)) == 0
    assert len(simulate_saccade_events(img, amplitude_px=0.0, seed=0)) == 0
    assert len(simulate_saccade_events(np.full((34, 34), 0.7), seed=0)) > 0  # borders move


def test_refractory_drops_events():
    ev = _one_pixel(0.2, 0.9)
    spacing = 1000.0 * C / (np.log(1.0) - np.log(0.3))  # ~166 µs between crossings
    ev_r = _one_pixel(0.2, 0.9, refractory_us=300.0)
    assert len(ev) == 6 and len(ev_r) == 3
    np.testing.assert_array_equal(ev_r["t"], np.rint(spacing * np.array([1, 3, 5])))
    assert np.all(np.diff(ev_r["t"]) >= 300)


def test_mismatch_and_seed_determinism():
    img = _digit_like()
    a = simulate_saccade_events(img, seed=3)
    b = simulate_saccade_events(img, seed=3)
    c = simulate_saccade_events(img, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert len(a) != len(c) or not np.array_equal(a, c)


def test_saccade_events_layout():
    ev = simulate_saccade_events(_digit_like(), seed=0, refractory_us=1000)
    assert ev.dtype == EVENT_DTYPE and len(ev) > 100
    assert ev["x"].max() < 34 and ev["y"].max() < 34
    assert np.all(np.diff(ev["t"]) >= 0) and ev["t"].min() > 0 and ev["t"].max() <= 300_000
    assert set(np.unique(ev["p"])) == {0, 1}
    # every saccade (~100 ms) produces events
    assert all(np.any((ev["t"] > k * 1e5) & (ev["t"] <= (k + 1) * 1e5)) for k in range(3))


def test_sensor_size_is_width_height_and_resizes():
    ev = simulate_saccade_events(_digit_like(60), sensor_size=(40, 30), seed=0)
    assert ev["x"].max() < 40 and ev["y"].max() < 30 and ev["x"].max() >= 30


def test_batch_matches_single():
    imgs = np.stack([_digit_like(), _digit_like()[::-1].T * 0.5, np.zeros((34, 34))])
    events, offsets = simulate_saccade_events_batch(imgs, seeds=[5, 6, 7], chunk_size=2,
                                                    refractory_us=500)
    assert offsets[0] == 0 and offsets[-1] == len(events) and offsets[3] == offsets[2]
    for b, s in enumerate([5, 6, 7]):
        single = simulate_saccade_events(imgs[b], seed=s, refractory_us=500)
        np.testing.assert_array_equal(events[offsets[b]:offsets[b + 1]], single)


def _cross2(a, b):
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def test_saccade_path_is_closed_triangle():
    times, dx, dy = saccade_path(300_000, amplitude_px=3.0, steps_per_saccade=20)
    assert len(times) == len(dx) == len(dy) == 61
    assert times[0] == 0 and times[-1] == 300_000 and np.all(np.diff(times) > 0)
    assert dx[0] == pytest.approx(dx[-1]) and dy[0] == pytest.approx(dy[-1])
    corners = np.stack([dx[::20], dy[::20]], axis=1)  # at 0, 100, 200, 300 ms
    np.testing.assert_allclose(times[::20], [0, 1e5, 2e5, 3e5])
    sides = np.diff(corners, axis=0)
    assert np.all(np.linalg.norm(sides, axis=1) > 2.5)  # three real moves
    assert abs(_cross2(sides[0], sides[1])) > 1  # not degenerate
    for k in range(3):  # each move is straight: points lie on the segment between corners
        seg = np.stack([dx[20 * k:20 * k + 21], dy[20 * k:20 * k + 21]], axis=1) - corners[k]
        np.testing.assert_allclose(_cross2(seg, sides[k]), 0, atol=1e-9)
        proj = seg @ sides[k] / (sides[k] @ sides[k])
        assert np.all(np.diff(proj) > 0) and proj[0] == 0 and proj[-1] == pytest.approx(1)


def test_spike_rate_matches_intensity():
    levels = np.linspace(0, 1, 11)
    img = np.tile(levels, (4, 1))  # [4, 11]
    t = 100
    spikes = simulate_spikes(img, t, seed=0)
    assert spikes.dtype == np.uint8 and spikes.shape == (t, 4, 11)
    assert set(np.unique(spikes)) <= {0, 1}
    assert np.all(np.abs(spikes.sum(0) - levels * t) <= 1)


def test_spike_exact_times_with_initial_accumulator():
    spikes = simulate_spikes(np.full((1, 1), 0.25), 8, initial=np.full((1, 1), 0.5))
    assert np.flatnonzero(spikes[:, 0, 0]).tolist() == [1, 5]  # 0.75, 1.0*, ..., 1.0*
    spikes = simulate_spikes(np.full((1, 1), 0.5), 4, threshold=2.0, gain=2.0, initial=0.0)
    assert spikes[:, 0, 0].tolist() == [0, 1, 0, 1]


def test_spike_video_and_determinism():
    video = np.stack([np.zeros((3, 3)), np.ones((3, 3))])
    s = simulate_spikes(video, seed=1)
    assert s.shape == (2, 3, 3) and s[1].all() and not s[0].any()
    s2 = simulate_spikes(video, steps_per_frame=3, seed=1)
    assert s2.shape == (6, 3, 3) and s2[3:].all()
    assert simulate_spikes(video, 5, steps_per_frame=3, seed=1).shape == (5, 3, 3)
    img = np.full((8, 8), 0.37)
    np.testing.assert_array_equal(simulate_spikes(img, 20, seed=7), simulate_spikes(img, 20, seed=7))
    assert not np.array_equal(simulate_spikes(img, 20, seed=7), simulate_spikes(img, 20, seed=8))
    with pytest.raises(ValueError, match="num_steps"):
        simulate_spikes(img)
