"""The one centre crop (spikevision.transforms.center_crop), checked against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spikevision.transforms import center_crop, translate, translate_events


def test_center_crop_hand_computed():
    x = torch.arange(5 * 6).reshape(5, 6)  # rows 0..4, columns 0..5
    # 3×2 from 5×6: top = (5 - 3) // 2 = 1, left = (6 - 2) // 2 = 2
    assert center_crop(x, (3, 2)).tolist() == [[8, 9], [14, 15], [20, 21]]
    # square 4 from 5×6: top = 0 (floor of 0.5), left = 1
    assert center_crop(x, 4).tolist() == [[1, 2, 3, 4], [7, 8, 9, 10], [13, 14, 15, 16], [19, 20, 21, 22]]


def test_center_crop_last_two_axes_and_numpy():
    x = np.arange(2 * 3 * 5 * 6).reshape(2, 3, 5, 6)
    out = center_crop(x, (3, 2))
    assert isinstance(out, np.ndarray) and out.shape == (2, 3, 3, 2)
    np.testing.assert_array_equal(out, x[..., 1:4, 2:4])
    t = center_crop(torch.from_numpy(x), (3, 2))
    assert isinstance(t, torch.Tensor)
    np.testing.assert_array_equal(t.numpy(), out)
    assert np.shares_memory(out, x)  # a view, no copy


def test_center_crop_no_ops_and_errors():
    x = torch.zeros(1, 4, 4)
    assert center_crop(x, None) is x
    assert center_crop(x, ()) is x
    assert center_crop(x, 4) is x
    with pytest.raises(ValueError, match=r"cannot crop 4×4 inputs to 5×5"):
        center_crop(x, 5)
    with pytest.raises(ValueError, match=r"cannot crop 4×4 inputs to 2×6"):
        center_crop(x, (2, 6))
    # fit=True keeps an axis that is smaller than the crop whole
    assert center_crop(torch.zeros(3, 10), (2, 6), fit=True).shape == (2, 6)
    assert center_crop(torch.zeros(3, 10), (5, 6), fit=True).shape == (3, 6)


def _translate_by_padding(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Independent reference: zero-pad by |shift| on every side, then cut the shifted window."""
    h, w = x.shape[-2:]
    py, px = abs(dy), abs(dx)
    padded = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(py, py), (px, px)])
    return padded[..., py - dy : py - dy + h, px - dx : px - dx + w]


def test_translate_hand_computed_and_against_padding():
    x = torch.arange(1, 13, dtype=torch.float32).reshape(3, 4)
    # down 1, left 2: row 0 becomes zeros, columns 2..3 become zeros
    assert translate(x, 1, -2).tolist() == [[0, 0, 0, 0], [3, 4, 0, 0], [7, 8, 0, 0]]
    assert translate(x, 0, 0).tolist() == x.tolist() and translate(x, 0, 0) is not x
    assert not translate(x, 3, 0).any() and not translate(x, 0, -4).any()
    rng = np.random.default_rng(0)
    y = rng.random((2, 3, 7, 9)).astype(np.float32)
    for dy, dx in [(2, 1), (-3, 4), (0, -8), (6, -2)]:
        np.testing.assert_array_equal(translate(torch.from_numpy(y), dy, dx).numpy(), _translate_by_padding(y, dy, dx))


def test_translate_events_commutes_with_event_frames():
    """Shifting events then binning = binning then shifting the frames (same time span kept:
    the first and last events stay on the sensor), and events leaving the sensor are dropped."""
    from spikevision.events import to_frames
    from spikevision.io.event_array import make_events

    rng = np.random.default_rng(1)
    n = 500
    ev = make_events(rng.integers(0, 10, n), rng.integers(0, 8, n), np.sort(rng.integers(0, 10_000, n)),
                     rng.integers(0, 2, n))
    ev["x"][[0, -1]], ev["y"][[0, -1]] = 5, 4  # first and last events in the middle
    shifted = translate_events(ev, -2, 3, height=8, width=10)
    assert shifted.dtype == ev.dtype and np.all(np.diff(shifted["t"]) >= 0)
    inside = (ev["y"] >= 2) & (ev["x"] < 7)
    assert len(shifted) == int(inside.sum())
    np.testing.assert_array_equal(shifted["t"], ev["t"][inside])
    frames = to_frames(ev, num_bins=3, height=8, width=10)
    np.testing.assert_array_equal(to_frames(shifted, num_bins=3, height=8, width=10),
                                  translate(torch.from_numpy(frames), -2, 3).numpy())
