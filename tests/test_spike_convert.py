"""The spike .dat → PNG/video command: known patterns, chunking, video files, model, errors."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import lightning
import numpy as np
import pytest
import torch

from spikevision.cli.spike_convert import ConvertError, convert_frames, main, run
from spikevision.io import write_spike_dat
from spikevision.models.spikecnn import SpikeCnnModel
from spikevision.spikes import tfi, tfp

H, W, T = 8, 16, 48
PERIODS = np.array([1, 2, 4, 8])


def _periodic() -> np.ndarray:
    """Pixel (y, x) fires at frames t with t % p == 0, p = PERIODS[(y + x) % 4]: uint8 [T, H, W]."""
    period = PERIODS[(np.arange(H)[:, None] + np.arange(W)[None]) % 4]
    return (np.arange(T)[:, None, None] % period == 0).astype(np.uint8), period


@pytest.fixture()
def recording(tmp_path) -> tuple[Path, np.ndarray, np.ndarray]:
    spikes, period = _periodic()
    path = tmp_path / "rec.dat"
    write_spike_dat(path, spikes)
    return path, spikes, period


def _convert(path: Path, *args: str) -> Path:
    return run([str(path), "--height", str(H), "--width", str(W), "--quiet", *args])


def test_png_of_known_pattern_per_method(recording, tmp_path):
    path, spikes, period = recording
    raw = iio.imread(_convert(path, "--method", "raw", "--frame", "4", "-o", str(tmp_path / "raw.png")))
    assert np.array_equal(raw, spikes[4] * 255)
    # a pixel firing every p frames: window mean 1/p (window 8 covers whole periods) and interval p
    expected = np.round(255.0 / period).astype(np.uint8)
    for method in ("window", "interval"):
        out = _convert(path, "--method", method, "--window", "8", "--frame", "20")
        assert out == tmp_path / f"rec_{method}_20.png"
        assert np.array_equal(iio.imread(out), expected), method


@pytest.mark.parametrize("method,window", [("window", 5), ("interval", 6), ("interval", 3), ("raw", None)])
def test_chunked_conversion_equals_whole_stream(tmp_path, method, window):
    rng = np.random.default_rng(0)
    spikes = (rng.random((70, H, W)) < 0.3).astype(np.uint8)
    path = tmp_path / "r.dat"
    write_spike_dat(path, spikes)
    centers = list(range(1, 70, 3))
    small = np.stack(list(convert_frames(path, centers, method, H, W, window, chunk=2)))
    whole = np.stack(list(convert_frames(path, centers, method, H, W, window, chunk=1000)))
    assert np.array_equal(small, whole)
    if method == "window":
        direct = [tfp(spikes, c, window) for c in centers]
    elif method == "interval":
        direct = [tfi(spikes, c, window) for c in centers]
    else:
        direct = [spikes[c] for c in centers]
    assert np.array_equal(small, np.clip(np.round(np.stack(direct) * 255.0), 0, 255).astype(np.uint8))


def test_gif_and_mp4_videos_with_stride(recording, tmp_path):
    path, spikes, _ = recording
    gif = _convert(path, "--method", "raw", "--video", str(tmp_path / "v.gif"), "--stride", "5")
    frames = iio.imread(gif, index=None)
    assert frames.shape[0] == len(range(0, T, 5)) and frames.shape[1:3] == (H, W)
    grey = frames[..., 0] if frames.ndim == 4 else frames
    assert np.array_equal(grey[1], spikes[5] * 255)
    mp4 = _convert(path, "--method", "window", "--video", str(tmp_path / "v.mp4"), "--start", "8",
                   "--count", "20", "--stride", "2", "--fps", "10")
    video = np.stack(list(iio.imiter(mp4)))
    assert video.shape[0] == 10 and video.shape[1:3] == (H, W)
    avi = _convert(path, "--method", "interval", "--video", str(tmp_path / "v.avi"))
    assert avi.stat().st_size > 0


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    return err


def test_clear_errors_for_bad_sizes_and_arguments(recording, capsys, tmp_path):
    path, _, _ = recording
    # 48 frames × 16 bytes = 768 bytes; 250×400 frames are 12500 bytes
    assert "not a whole number of 250×400 frames" in _error(capsys, [str(path), "--frame", "0"])
    assert "multiple of 8" in _error(capsys, [str(path), "--height", "3", "--width", "5", "--frame", "0"])
    assert "not a whole number of 8×40 frames" in _error(
        capsys, [str(path), "--height", "8", "--width", "40", "--frame", "0"])
    assert "outside the recording" in _error(capsys, [str(path), "--height", "8", "--width", "16", "--frame", "48"])
    assert "unsupported video type" in _error(
        capsys, [str(path), "--height", "8", "--width", "16", "--video", str(tmp_path / "v.webm")])
    assert "needs --checkpoint" in _error(capsys, [str(path), "--height", "8", "--width", "16",
                                                   "--method", "model", "--frame", "1"])
    assert "not found" in _error(capsys, [str(tmp_path / "missing.dat"), "--frame", "0"])
    with pytest.raises(ConvertError):
        next(convert_frames(path, [0], "bogus", H, W))


def _save_checkpoint(model: SpikeCnnModel, path: Path) -> None:
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams),
                "pytorch-lightning_version": lightning.__version__}, path)


def test_model_method_uses_checkpoint_window(recording, tmp_path):
    path, spikes, _ = recording
    torch.manual_seed(0)
    model = SpikeCnnModel(network={"target": "spikevision.models.spikecnn.SemiUNet",
                                   "params": {"in_channels": 8, "ch": 4}}, vgg_weight=0.0).eval()
    ckpt = tmp_path / "tiny.ckpt"
    _save_checkpoint(model, ckpt)
    out = _convert(path, "--method", "model", "--checkpoint", str(ckpt), "--frame", "20", "--device", "cpu")
    window = torch.from_numpy(spikes[16:24][None].astype(np.float32))  # 8 frames from 20 − 8 // 2
    expected = np.round(model.restore(window)[0].numpy() * 255).astype(np.uint8)
    assert np.abs(iio.imread(out).astype(int) - expected.astype(int)).max() <= 1
    # near the start the window is clamped inside the recording
    first = _convert(path, "--method", "model", "--checkpoint", str(ckpt), "--frame", "0", "-o",
                     str(tmp_path / "m0.png"))
    start = np.round(model.restore(torch.from_numpy(spikes[:8][None].astype(np.float32)))[0].numpy() * 255)
    assert np.abs(iio.imread(first).astype(int) - start.astype(int)).max() <= 1
