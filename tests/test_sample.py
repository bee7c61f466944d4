"""Sampling outputs (PNG grids, event GIFs with T frames, unfolded strips) and the whole
stage 1 → stage 2 → sample pipeline through main.py and the sample command."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from spikevision.errors import CheckpointNotFoundError, ConfigError
from spikevision.sample.loading import resolve_run
from spikevision.sample.writer import SampleWriter

REPO = Path(__file__).resolve().parents[1]


def test_writer_event_samples_png_gif_with_t_frames_and_unfold(tmp_path):
    frames = torch.zeros(3, 4, 2, 8, 8)
    frames[:, :, 1, 2, 3] = 1.0  # ON event → red
    frames[:, 2, 0, 5, 5] = 1.0  # OFF event in step 2 only → blue
    w = SampleWriter(tmp_path, event=True, time_unfold=True, min_size=16)
    w.add(frames[:2])
    w.add(frames[2:])
    paths = w.finish()
    pngs = sorted((tmp_path / "samples").glob("*.png"))
    assert [p.name for p in pngs] == ["sample_000000.png", "sample_000001.png", "sample_000002.png"]
    still = iio.imread(pngs[0])
    assert still.shape == (8, 8, 3) and tuple(still[2, 3]) == (255, 0, 0) and tuple(still[5, 5]) == (0, 0, 255)
    gif = iio.imread(tmp_path / "gifs" / "sample_000000.gif", index=None)
    assert gif.shape[0] == 4  # one GIF frame per time step
    blue = [int(f[:16, :, 2].max()) for f in gif]  # image rows (upscaled ×2); the time bar is below
    assert blue == [0, 0, 255, 0]  # the OFF event appears in step 2 only
    grid = iio.imread(paths["gif"], index=None)
    assert grid.shape[0] == 4
    strip = iio.imread(tmp_path / "unfold" / "sample_000000.png")
    assert strip.shape[1] > 4 * 16 and paths["unfold"].is_file() and paths["grid"].suffix == ".png"


def test_writer_static_images_and_errors(tmp_path):
    w = SampleWriter(tmp_path, event=False)
    w.add(torch.rand(5, 1, 8, 8))
    paths = w.finish()
    assert len(list(paths["samples"].glob("*.png"))) == 5 and paths["grid"].is_file()
    with pytest.raises(ValueError, match="event samples"):
        SampleWriter(tmp_path / "e", event=True).add(torch.rand(2, 1, 8, 8))


def test_resolve_run_glob_picks_newest_and_errors(tmp_path):
    for name in ("2026-01-01T00-00-00_a", "2026-02-01T00-00-00_a", "2026-03-01T00-00-00_b"):
        (tmp_path / name).mkdir()
    assert resolve_run(tmp_path / "*_a").name == "2026-02-01T00-00-00_a"
    with pytest.raises(CheckpointNotFoundError, match="no run directory"):
        resolve_run(tmp_path / "*_c")


def test_sample_command_reports_config_errors(tmp_path, capsys):
    from spikevision.cli.sample import main

    cfg = tmp_path / "s.yaml"
    cfg.write_text("sample: {run: '/nonexistent/*_x', num_samples: 2, colour: red}\n")
    with pytest.raises(SystemExit):
        main(["--base", str(cfg)])
    assert "unknown keys ['colour']" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="run"):
        from spikevision.cli.sample import run

        run(["--base", str(cfg), "sample.run=null", "sample.colour=null"])


@pytest.mark.slow
def test_stage1_stage2_sample_end_to_end(tmp_path):
    from spikevision.cli.sample import run as sample
    from spikevision.cli.train import run as train

    logs = tmp_path / "logs"
    s1 = train(["--base", str(REPO / "tests/configs/tiny_vqvae.yaml"), "-l", str(logs), "-n", "vq", "--no-test"])
    assert (s1.logdir / "checkpoints" / "last.ckpt").is_file()
    assert s1.trainer.global_step == 8  # 4 batches × (autoencoder + discriminator) optimizer steps
    assert list((s1.logdir / "images" / "train").glob("comparison_gif_*.gif"))
    s2 = train([f"model.params.first_stage.run={logs}/*_vq", "--base", str(REPO / "tests/configs/tiny_prior.yaml"),
                "-l", str(logs), "-n", "prior", "--no-test"])
    # the run saved the concrete stage-1 run its glob matched, not the glob (no later re-binding)
    saved = OmegaConf.load(next((s2.logdir / "configs").glob("*-project.yaml")))
    assert saved.model.params.first_stage.run == str(s1.logdir)
    # the frozen first stage inside the prior equals the trained stage 1
    assert torch.equal(s2.model.first_stage.quantize.embedding.weight, s1.model.quantize.embedding.weight)
    out = tmp_path / "samples"
    paths = sample(["--base", str(REPO / "sample/sample_event.yaml"), f"sample.run={s2.logdir}",
                    f"sample.out_dir={out}", "sample.num_samples=3", "sample.batch_size=2",
                    "sample.code_h=4", "sample.code_w=4", "sample.top_k=4", "--no-progress"])
    assert len(list((out / "samples").glob("*.png"))) == 3 and len(list((out / "gifs").glob("*.gif"))) == 3
    assert iio.imread(paths["gif"], index=None).shape[0] == 2  # T = 2 frames
    assert paths["unfold"].is_file()
    # same seed → same samples
    again = tmp_path / "again"
    sample(["--base", str(REPO / "sample/sample_event.yaml"), f"sample.run={s2.logdir}", f"sample.out_dir={again}",
            "sample.num_samples=3", "sample.batch_size=2", "sample.code_h=4", "sample.code_w=4",
            "sample.top_k=4", "--no-progress"])
    name = "samples/sample_000002.png"
    assert np.array_equal(iio.imread(out / name), iio.imread(again / name))
