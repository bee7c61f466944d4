"""No-reference IQA offline: bundled NIQE parameters, BRISQUE's clear offline error, perf report."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from spikevision.clip import WeightsUnavailableError
from spikevision.metrics.iqa import (
    NIQE_PARAMS,
    NoReferenceIQA,
    find_brisque_weights,
    load_niqe_params,
    upscale_for_iqa,
)


def test_bundled_niqe_params_and_mat_round_trip(tmp_path):
    from scipy.io import savemat

    mu, cov = load_niqe_params()
    assert NIQE_PARAMS.is_file() and mu.shape == (36,) and cov.shape == (36, 36)
    assert torch.allclose(cov, cov.t()) and torch.linalg.eigvalsh(cov).min() > 0  # a covariance
    savemat(tmp_path / "p.mat", {"mu_prisparam": mu.numpy()[None], "cov_prisparam": cov.numpy()})
    mu2, cov2 = load_niqe_params(tmp_path / "p.mat")
    assert torch.equal(mu, mu2) and torch.equal(cov, cov2)
    with pytest.raises(WeightsUnavailableError):
        load_niqe_params(tmp_path / "missing.npz")


def test_brisque_offline_error_is_fast_and_clear(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailableError) as err:
        find_brisque_weights()
    assert time.perf_counter() - start < 1.0
    assert "brisque_svm_weights.pth" in str(err.value) and str(tmp_path) in str(err.value)
    (tmp_path / "w.pth").write_bytes(b"x")
    assert find_brisque_weights(tmp_path / "w.pth") == tmp_path / "w.pth"
    iqa = NoReferenceIQA()
    assert iqa.brisque_error is not None
    with pytest.raises(WeightsUnavailableError):
        iqa.brisque(torch.rand(1, 1, 32, 32))


def test_upscale_for_iqa():
    x = torch.rand(2, 1, 34, 30)
    y = upscale_for_iqa(x, 192)
    assert min(y.shape[-2:]) >= 192 and y.shape[-2] == 34 * 7 and y.min() >= 0 and y.max() <= 1
    assert upscale_for_iqa(torch.rand(1, 1, 200, 256), 192).shape[-1] == 256


@pytest.mark.slow
def test_niqe_ranks_noise_worse_than_a_smooth_natural_image():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:192, 0:192] / 192.0
    smooth = 0.5 + 0.25 * np.sin(6 * xx) * np.cos(4 * yy) + 0.05 * rng.standard_normal((192, 192))
    noisy = rng.random((192, 192))
    imgs = torch.from_numpy(np.stack([smooth, noisy])[:, None].clip(0, 1)).float()
    scores = NoReferenceIQA().niqe(imgs)
    assert torch.isfinite(scores).all() and scores[1] > scores[0]


def test_perf_report_on_cpu():
    from spikevision.metrics.perf import measure

    calls = []
    report = measure(lambda b: calls.append(b.shape[0]) or b * 2, torch.rand(1, 3, 4), batch_size=4, repeats=3,
                     warmup=1)
    assert calls.count(1) == 4 and calls.count(4) == 4  # warmup + timed, batch 1 and batch 4
    assert report.latency_ms > 0 and report.throughput_per_s > 0 and report.peak_rss_mb > 10
    assert report.gpu_peak_mb is None and report.power_active_w is None
