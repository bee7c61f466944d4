"""The generation evaluation: its measures against independent computations, the digit
classifier (learns N-Digits, cached), and the command on a tiny trained stage 1 + stage 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from spikevision.metrics.generation import (
    class_statistics,
    consecutive_frame_correlation,
    event_frame_f1,
)

REPO = Path(__file__).resolve().parents[1]


def test_class_statistics_hand_case():
    probs = torch.tensor([[0.95, 0.05, 0.0], [0.2, 0.7, 0.1], [0.91, 0.0, 0.09], [0.1, 0.0, 0.9]])
    s = class_statistics(probs, threshold=0.9)
    assert s["confident_share"] == pytest.approx(0.75)  # 0.95, 0.91, 0.9 (≥ is inclusive)
    assert s["histogram"] == [0.5, 0.25, 0.25] and s["max_class_share"] == 0.5 and s["classes_seen"] == 3
    with pytest.raises(ValueError):
        class_statistics(torch.zeros(0, 3))


def test_consecutive_frame_correlation_equals_numpy_corrcoef():
    rng = np.random.default_rng(0)
    frames = torch.from_numpy(rng.random((3, 4, 2, 5, 5)))
    expected = np.mean([np.corrcoef(frames[n, t].flatten(), frames[n, t + 1].flatten())[0, 1]
                        for n in range(3) for t in range(3)])
    assert consecutive_frame_correlation(frames) == pytest.approx(expected, abs=1e-10)
    still = torch.ones(2, 3, 2, 4, 4)
    still[:, :, 0] = 0  # identical frames: correlation 1
    assert consecutive_frame_correlation(still) == pytest.approx(1.0)
    assert consecutive_frame_correlation(torch.zeros(1, 2, 1, 3, 3)) == 0.0  # constant frames


def test_event_frame_f1_equals_sklearn():
    rng = np.random.default_rng(1)
    pred = torch.from_numpy(rng.random((2, 4, 2, 6, 6)))
    target = torch.from_numpy((rng.random((2, 4, 2, 6, 6)) > 0.7).astype(np.float32))
    expected = f1_score(target.flatten().numpy() > 0, pred.flatten().numpy() > 0.5)
    assert event_frame_f1(pred, target) == pytest.approx(expected)
    assert event_frame_f1(torch.zeros(3), torch.zeros(3)) == 1.0
    with pytest.raises(ValueError):
        event_frame_f1(torch.zeros(3), torch.zeros(4))


def test_digit_classifier_learns_ndigits_and_is_cached(tmp_path):
    from spikevision.metrics.digit_classifier import ndigits_classifier

    rep = {"kind": "frames", "num_bins": 2}
    net, acc = ndigits_classifier("events", rep, crop=32, epochs=3, cache_dir=tmp_path)
    assert acc > 0.8  # ten classes: chance is 0.1
    cached = list((tmp_path / "digit_classifier").glob("*.pt"))
    assert len(cached) == 1
    again, acc2 = ndigits_classifier("events", rep, crop=32, epochs=3, cache_dir=tmp_path)
    assert acc2 == acc and all(torch.equal(a, b) for a, b in zip(net.state_dict().values(),
                                                               again.state_dict().values(), strict=True))


@pytest.mark.slow
def test_command_on_a_tiny_generator(tmp_path):
    from spikevision.cli.generation_evaluate import main
    from spikevision.cli.train import run as train

    logs = tmp_path / "logs"
    train(["--base", str(REPO / "tests/configs/tiny_vqvae.yaml"), "-l", str(logs), "-n", "vq", "--no-test"])
    s2 = train([f"model.params.first_stage.run={logs}/*_vq", "--base", str(REPO / "tests/configs/tiny_prior.yaml"),
                "-l", str(logs), "-n", "prior", "--no-test"])
    out = tmp_path / "eval.json"
    main([str(s2.logdir), "--samples", "12", "--limit", "16", "--json", str(out), "--markdown",
          str(tmp_path / "eval.md")])
    r = json.loads(out.read_text())
    assert r["real_items"] == 16 and r["samples"] == 12
    assert 0 <= r["samples_confident_share"] <= 1 and sum(r["samples_histogram"]) == pytest.approx(1, abs=1e-3)
    assert np.isfinite(r["fid_classifier"]) and r["fid_classifier"] >= 0
    assert 0 <= r["stage1_event_f1"] <= 1 and np.isfinite(r["stage1_psnr"])
    assert -1 <= r["samples_consecutive_corr"] <= 1 and -1 <= r["real_consecutive_corr"] <= 1
    assert (tmp_path / "eval.md").read_text().count("\n") == 3
    with pytest.raises(SystemExit) as err:  # a stage-1 run is not a generator
        main([str(next(logs.glob("*_vq"))), "--samples", "4"])
    assert err.value.code == 2
