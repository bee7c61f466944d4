"""Generative metrics through torch-fidelity with a small injected feature extractor."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from torch import nn

from spikevision.losses.pretrained import WeightsNotFoundError
from spikevision.metrics.fidelity import FidelityImages, compute_metrics


class TinyFeatures(nn.Module):
    """uint8 images → (features = per-channel means and stds, logits)."""

    def forward(self, x):
        x = x.float() / 255
        feats = torch.cat([x.mean((2, 3)), x.std((2, 3))], 1)
        return feats, feats[:, :3] * 10


class ImageList(torch.utils.data.Dataset):
    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i]


def _images(seed, n=24, brightness=0.5):
    g = torch.Generator().manual_seed(seed)
    return ((torch.rand(n, 3, 16, 16, generator=g) * brightness) * 255).to(torch.uint8)


def test_metrics_from_a_png_folder_against_a_dataset(tmp_path):
    ref = _images(0, brightness=0.5)
    for i, img in enumerate(_images(1, brightness=0.5)):
        iio.imwrite(tmp_path / f"sample_{i:06d}.png", img.permute(1, 2, 0).numpy())
    same = compute_metrics(tmp_path, ImageList(ref), feature_module=TinyFeatures())
    assert {"frechet_inception_distance", "inception_score_mean", "kernel_inception_distance_mean",
            "precision", "recall"} <= set(same)
    far = compute_metrics(ImageList(_images(2, brightness=1.0)), ImageList(ref), ["fid", "kid"],
                          feature_module=TinyFeatures())
    assert far["frechet_inception_distance"] > 10 * abs(same["frechet_inception_distance"])
    identical = compute_metrics(ImageList(ref), ImageList(ref), ["fid"], feature_module=TinyFeatures())
    assert abs(identical["frechet_inception_distance"]) < 1e-6


def test_fid_matches_the_formula_on_features():
    ref, smp = _images(3), _images(4, brightness=0.8)
    fid = compute_metrics(ImageList(smp), ImageList(ref), ["fid"], feature_module=TinyFeatures())
    f1, f2 = (TinyFeatures()(x)[0].double().numpy() for x in (smp, ref))
    from scipy import linalg

    m1, m2, s1, s2 = f1.mean(0), f2.mean(0), np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    expected = ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert fid["frechet_inception_distance"] == pytest.approx(expected, rel=1e-3)


def test_inception_is_not_downloaded_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(WeightsNotFoundError, match="weights-inception-2015-12-05"):
        compute_metrics(ImageList(_images(0)), ImageList(_images(1)), ["fid"])
    with pytest.raises(FileNotFoundError, match="no PNG samples"):
        compute_metrics(tmp_path / "missing", ImageList(_images(1)), feature_module=TinyFeatures())


def test_event_reference_images_match_the_sample_colours():
    frames = torch.zeros(1, 3, 2, 6, 6)
    frames[0, 1, 1, 1, 1] = 2.0  # ON count 2 → clipped to 1 → red
    frames[0, 0, 0, 2, 2] = 1.0  # OFF → blue
    ds = FidelityImages([{"input": frames[0]}], key="input", crop=4, clip=1.0)
    img = ds[0]
    assert img.dtype == torch.uint8 and img.shape == (3, 4, 4)
    assert img[:, 0, 0].tolist() == [255, 0, 0] and img[:, 1, 1].tolist() == [0, 0, 255]
