"""The stereo JSCC family end to end from ``main.py``: a short run of the embedded CNN and SNN
configs, the SNR-sweep command (JSON, markdown table, PNG plot, separation baseline) and the
command that sends one stereo pair from two image files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from spikevision.cli import jscc_evaluate, jscc_send
from spikevision.cli.launch_scripts import launched, run_script
from spikevision.cli.train import run as train_run
from spikevision.errors import CheckpointNotFoundError, StereoPairError

pytestmark = pytest.mark.slow  # short training runs through main.py

TINY = ["model.params.system.hidden_channels=8", "data.params.batch_size=4",
        "data.params.train.params.limit=16", "data.params.validation.params.limit=8",
        "data.params.test.params.limit=8", "lightning.trainer.max_steps=6",
        "lightning.trainer.val_check_interval=3", "lightning.callbacks.image_logger.params.batch_frequency=3"]


def stack(name: str) -> list[str]:
    _, configs = launched(run_script(name))
    return [str(c) for c in configs]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, spikevision_cache):
    logs = tmp_path_factory.mktemp("jscc_logs")
    out = {}
    for name in ("jscc_cnn_single_embedded", "jscc_snn_side_info_embedded"):
        out[name] = train_run(["--base", *stack(name), *TINY, "-n", name, "-l", str(logs)])
    return out


def test_training_writes_checkpoints_metrics_and_panels(runs):
    for result in runs.values():
        assert (result.logdir / "checkpoints" / "last.ckpt").is_file()
        assert list((result.logdir / "checkpoints").glob("best-*.ckpt"))
        assert "test/psnr_left" in result.test_metrics
        assert list((result.logdir / "images" / "val").glob("comparison_*.png"))
    snn = runs["jscc_snn_side_info_embedded"].test_metrics
    assert "test/psnr_right" not in snn  # the side-information variant sends the left view only
    assert 0 < snn["test/firing_mean"] < 1
    assert any(k.startswith("test/firing/") for k in snn)


def test_sweep_writes_table_plot_and_baseline(runs, tmp_path):
    dirs = [str(r.logdir) for r in runs.values()]
    jscc_evaluate.run([*dirs, "--names", "cnn", "snn", "--snr", "0", "10", "20", "--limit", "8",
                                "--baseline", "jpeg", "webp", "-o", str(tmp_path)])
    data = json.loads((tmp_path / "jscc_sweep.json").read_text())
    rows = data["rows"]
    assert data["pairs"] == 8
    models = [r for r in rows if r["kind"] != "separation"]
    assert len(models) == 2 * 2 * 3  # models × channels × SNRs
    for r in models:
        assert r["rho"] == pytest.approx(1 / 16) and r["rho_str"] == "1/16"
        assert math.isfinite(r["psnr_left"]) and 0 < r["msssim_left"] <= 1
    snn = [r for r in models if r["model"] == "snn"]
    assert all(0 < r["firing_rate"] < 1 and r["synops"] > 0 for r in snn)
    assert all(r["macs"] < r["cnn_macs"] for r in snn)
    cnn = [r for r in models if r["model"] == "cnn"]
    assert all(r["macs"] == r["cnn_macs"] for r in cnn)
    sep = [r for r in rows if r["kind"] == "separation"]
    assert len(sep) == 2 * 3 * 2  # codecs × SNRs × (ideal, designed)
    ideal = sorted((r for r in sep if r["mode"] == "ideal" and "WEBP" in r["model"]), key=lambda r: r["snr_db"])
    assert [r["fit_fraction"] for r in ideal] == sorted(r["fit_fraction"] for r in ideal)
    designed = {r["snr_db"]: r for r in sep if r["mode"] == "design" and "WEBP" in r["model"]}
    assert designed[0.0]["outage"] and not designed[10.0]["outage"]  # below the 5 dB design SNR: the cliff
    assert designed[0.0]["psnr_left"] < designed[10.0]["psnr_left"] == designed[20.0]["psnr_left"]
    table = (tmp_path / "jscc_sweep.md").read_text()
    assert table.count("\n") == len(rows) + 2 and "| 1/16 |" in table
    png = tmp_path / "jscc_sweep.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and Image.open(png).size[0] > 600


def test_send_one_pair_writes_decoded_images_and_psnr(runs, tmp_path):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (5, 5, 3), dtype=np.uint8)
    left = np.asarray(Image.fromarray(base).resize((70, 44), Image.BILINEAR))
    Image.fromarray(left).save(tmp_path / "l.png")
    Image.fromarray(np.roll(left, 2, axis=1)).save(tmp_path / "r.png")
    run = runs["jscc_cnn_single_embedded"].logdir
    result = jscc_send.run([str(run), str(tmp_path / "l.png"), str(tmp_path / "r.png"), "--snr", "10",
                            "-o", str(tmp_path / "out")])
    decoded = np.asarray(Image.open(result["decoded_left"])).astype(np.float64) / 255
    assert decoded.shape == (40, 64, 3)  # centre-cropped to multiples of 8
    target = left[2:42, 3:67].astype(np.float64) / 255
    expected = -10 * np.log10(np.mean((decoded - target) ** 2))
    assert result["psnr_left"] == pytest.approx(expected, abs=0.1)  # PNG rounding only
    assert Path(result["decoded_right"]).is_file() and result["rho"] == "1/16"


def test_commands_fail_with_one_line_errors(runs, tmp_path):
    run = runs["jscc_cnn_single_embedded"].logdir
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((24, 16, 3), np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(StereoPairError, match="differ in size"):
        jscc_send.run([str(run), str(tmp_path / "a.png"), str(tmp_path / "b.png")])
    (tmp_path / "c.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(StereoPairError, match="cannot read image"):
        jscc_send.run([str(run), str(tmp_path / "c.png"), str(tmp_path / "a.png")])
    with pytest.raises(CheckpointNotFoundError):
        jscc_evaluate.run([str(tmp_path / "no_run")])
    with pytest.raises(SystemExit) as exit_info:
        jscc_evaluate.main([str(tmp_path / "no_run")])
    assert exit_info.value.code == 2


def test_sweep_leaves_autograd_on(runs, tmp_path):
    jscc_evaluate.run([str(runs["jscc_cnn_single_embedded"].logdir), "--snr", "5", "--limit", "4",
                       "--channels", "awgn", "--baseline", "none", "-o", str(tmp_path)])
    assert torch.is_grad_enabled()
