"""Spike-camera reconstructions: TFP (window) and TFI (interval) on hand-built spike trains."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.spikes import interval as interval_module
from spikevision.spikes import tfi, tfi_video, tfp, tfp_video


def periodic(n: int = 40, period: int = 4, phase: int = 0, shape=(3, 2)) -> np.ndarray:
    """Every pixel spikes at frames phase, phase + period, ..."""
    spikes = np.zeros((n, *shape), dtype=np.uint8)
    spikes[phase::period] = 1
    return spikes


def random_spikes(n=50, density=0.1, seed=0, dtype=np.uint8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((n, 7, 9)) < density).astype(dtype)


# --- TFP ----------------------------------------------------------------------------------


def test_tfp_of_a_pixel_spiking_every_4_frames():
    spikes = periodic(period=4)
    out = tfp(spikes, center=20, window=8)
    assert out.dtype == np.float32 and out.shape == (3, 2)
    np.testing.assert_array_equal(out, 0.25)
    np.testing.assert_array_equal(tfp(spikes, 20, 8, scale=255), 63.75)


def test_tfp_window_is_centred_and_clipped():
    spikes = np.zeros((10, 1, 1), dtype=bool)
    spikes[[0, 1, 9], 0, 0] = True
    assert tfp(spikes, 5, 4)[0, 0] == 0  # frames 3..6
    assert tfp(spikes, 0, 4)[0, 0] == pytest.approx(2 / 2)  # frames -2..1 -> 0..1
    assert tfp(spikes, 9, 4)[0, 0] == pytest.approx(1 / 3)  # frames 7..10 -> 7..9
    assert tfp(spikes, 4, 100)[0, 0] == pytest.approx(3 / 10)


@pytest.mark.parametrize("dtype", [np.uint8, bool, np.float32])
@pytest.mark.parametrize(("window", "stride"), [(1, 1), (8, 3), (32, 2), (200, 5)])
def test_tfp_video_matches_tfp(dtype, window, stride):
    spikes = random_spikes(dtype=dtype)
    video = tfp_video(spikes, window, stride, scale=255)
    centers = range(0, len(spikes), stride)
    assert video.shape == (len(centers), 7, 9) and video.dtype == np.float32
    for frame, c in zip(video, centers):
        np.testing.assert_allclose(frame, tfp(spikes, c, window, scale=255), rtol=1e-6)


def test_tfp_checks_arguments():
    with pytest.raises(ValueError, match="center"):
        tfp(periodic(), 40, 4)
    with pytest.raises(ValueError, match="window"):
        tfp(periodic(), 3, 0)
    with pytest.raises(ValueError, match="shaped"):
        tfp(np.zeros((4, 4)), 0, 2)
    with pytest.raises(ValueError, match="stride"):
        tfp_video(periodic(), 4, 0)


# --- TFI ----------------------------------------------------------------------------------


@pytest.mark.parametrize("center", [4, 5, 6, 7, 20, 31])
@pytest.mark.parametrize("window", [None, 4, 10])
def test_tfi_of_a_pixel_spiking_every_4_frames(center, window):
    out = tfi(periodic(period=4), center, window)
    assert out.dtype == np.float32 and out.shape == (3, 2)
    np.testing.assert_array_equal(out, 0.25)


def test_tfi_spike_at_center_counts_as_the_previous_spike():
    spikes = np.zeros((20, 1, 1), dtype=np.uint8)
    spikes[[5, 8, 15], 0, 0] = 1
    assert tfi(spikes, 8)[0, 0] == pytest.approx(1 / 7)  # t- = 8 (at centre), t+ = 15
    assert tfi(spikes, 7)[0, 0] == pytest.approx(1 / 3)  # t- = 5, t+ = 8 (strictly after)
    assert tfi(spikes, 5)[0, 0] == pytest.approx(1 / 3)


def test_tfi_missing_spikes_default_to_the_window_bounds():
    spikes = np.zeros((30, 1, 3), dtype=np.uint8)
    spikes[[12, 14], 0, 0] = 1  # both sides present
    spikes[17, 0, 1] = 1  # only a spike after the centre
    # pixel 2 never spikes
    c, w = 13, 5  # t- searched in [9, 13] (default 8), t+ in [14, 18] (default 18)
    out = tfi(spikes, c, window=w)
    np.testing.assert_allclose(out[0], [1 / 2, 1 / (17 - 8), 1 / 10], rtol=1e-7)
    # spikes just outside the window are ignored
    spikes[[8, 19], 0, 2] = 1
    assert tfi(spikes, c, window=w)[0, 2] == pytest.approx(1 / 10)
    assert tfi(spikes, c, window=6)[0, 2] == pytest.approx(1 / (19 - 8))
    # whole stream: defaults -1 and N
    spikes = np.zeros((30, 1, 2), dtype=np.uint8)
    spikes[4, 0, 0] = 1
    np.testing.assert_allclose(tfi(spikes, 10)[0], [1 / (30 - 4), 1 / 31], rtol=1e-7)
    np.testing.assert_allclose(tfi(spikes, 29)[0], [1 / 26, 1 / 31], rtol=1e-7)


def test_tfi_window_bounds_may_lie_outside_the_stream():
    spikes = np.zeros((10, 1, 1), dtype=bool)
    spikes[9] = True
    # centre 2, window 5: t- defaults to -3 (SpikeCLIP's middle - window), t+ = 9 is beyond 7
    assert tfi(spikes, 2, window=5)[0, 0] == pytest.approx(1 / 10)
    spikes[0] = True  # a spike at frame 0 is a real spike
    assert tfi(spikes, 2, window=5)[0, 0] == pytest.approx(1 / 7)


@pytest.mark.parametrize("dtype", [np.uint8, bool, np.float32, np.int64])
def test_tfi_treats_nonzero_as_spike(dtype):
    spikes = random_spikes(dtype=np.uint8)
    scaled = (spikes * 3).astype(dtype)
    np.testing.assert_array_equal(tfi(scaled, 25), tfi(spikes, 25))


def test_tfi_long_searches_cross_blocks(monkeypatch):
    monkeypatch.setattr(interval_module, "_FIRST_BLOCK", 2)
    monkeypatch.setattr(interval_module, "_MAX_BLOCK", 5)
    spikes = random_spikes(n=60, density=0.03, seed=3)
    video = tfi_video(spikes, 1)  # independent of the blocks
    for c in range(60):
        np.testing.assert_array_equal(tfi(spikes, c), video[c])


def test_tfi_matches_a_per_pixel_reference():
    spikes = random_spikes(n=40, density=0.15, seed=4)
    for c, window in [(0, None), (17, None), (39, None), (17, 3), (2, 6), (38, 6)]:
        expected = np.empty(spikes.shape[1:])
        for (i, j), _ in np.ndenumerate(expected):
            train = np.flatnonzero(spikes[:, i, j])
            lo_bound = -1 if window is None else c - window
            hi_bound = len(spikes) if window is None else c + window
            before = train[(train <= c) & (train > lo_bound)]
            after = train[(train > c) & (train <= hi_bound)]
            t_minus = before.max() if before.size else lo_bound
            t_plus = after.min() if after.size else hi_bound
            expected[i, j] = 1 / (t_plus - t_minus)
        np.testing.assert_allclose(tfi(spikes, c, window), expected, rtol=1e-6)


@pytest.mark.parametrize("window", [None, 1, 3, 8, 100])
@pytest.mark.parametrize("stride", [1, 3])
def test_tfi_video_matches_tfi_at_each_centre(window, stride):
    spikes = random_spikes(n=45, density=0.08, seed=5)
    video = tfi_video(spikes, stride, window)
    centers = range(0, len(spikes), stride)
    assert video.shape == (len(centers), 7, 9) and video.dtype == np.float32
    for frame, c in zip(video, centers):
        np.testing.assert_array_equal(frame, tfi(spikes, c, window))


def test_tfi_video_of_a_periodic_train():
    video = tfi_video(periodic(period=4), stride=1)
    np.testing.assert_array_equal(video[3:-4], 0.25)  # centres with spikes on both sides


def test_tfi_checks_arguments():
    with pytest.raises(ValueError, match="center"):
        tfi(periodic(), -1)
    with pytest.raises(ValueError, match="window"):
        tfi(periodic(), 3, window=0)
    with pytest.raises(ValueError, match="stride"):
        tfi_video(periodic(), 0)
    with pytest.raises(ValueError, match="shaped"):
        tfi(np.zeros((0, 3, 3)), 0)
