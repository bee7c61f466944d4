"""The one centre crop (spikevision.transforms.center_crop), checked against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spikevision.transforms import center_crop


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
