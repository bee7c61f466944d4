"""ImageLogger: ``batch_frequency`` counts training batches (not ``global_step``, which manual
optimisation with two optimizers advances twice per batch); time-resolved panels reach
TensorBoard as GIF videos (read back from the event file) and W&B as ``wandb.Video``."""

from __future__ import annotations

from types import SimpleNamespace

import imageio.v3 as iio
import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from torch import nn
from torch.utils.data import DataLoader

from spikevision.callbacks import image_logger
from spikevision.callbacks.image_logger import ImageLogger, grid_uint8, log_video, video_uint8

N, T, H, W = 2, 3, 6, 5


def panels(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"still": torch.rand(N, 3, H, W, generator=g), "clip": torch.rand(N, T, 3, H, W, generator=g)}


class TwoOptimizers(pl.LightningModule):
    """Manual optimisation with two optimizers, as the VQ-GAN: global_step grows by 2 per batch."""

    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        for opt, layer in zip(self.optimizers(), (self.a, self.b)):
            opt.zero_grad()
            self.manual_backward(layer(batch).pow(2).mean())
            opt.step()

    def configure_optimizers(self):
        return [torch.optim.SGD(self.a.parameters(), lr=0.1), torch.optim.SGD(self.b.parameters(), lr=0.1)]

    def log_images(self, batch: torch.Tensor, max_images: int = 8) -> dict[str, torch.Tensor]:
        return panels()


def fit(tmp_path, batches: int = 8) -> tuple[pl.Trainer, TensorBoardLogger]:
    tb = TensorBoardLogger(tmp_path, name="tb")
    callback = ImageLogger(batch_frequency=4, log_first_steps=False, log_validation=False, min_size=0)
    trainer = pl.Trainer(max_epochs=1, limit_train_batches=batches, default_root_dir=str(tmp_path), logger=tb,
                         callbacks=[callback], accelerator="cpu", enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(TwoOptimizers(), DataLoader(torch.rand(batches, 4), batch_size=1))
    return trainer, tb


def test_batch_frequency_counts_batches_and_gifs_reach_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    trainer, tb = fit(tmp_path)
    assert trainer.global_step == 16  # two optimizer steps per batch
    pngs = sorted(p.name for p in (tmp_path / "images" / "train").glob("still_*.png"))
    gifs = sorted((tmp_path / "images" / "train").glob("clip_*.gif"))
    # after batches 4 and 8 (global steps 8 and 16); counting global_step would log 4 times
    assert [p.split("_")[1] for p in pngs] == ["gs-000008", "gs-000016"] and len(gifs) == 2
    events = EventAccumulator(tb.log_dir, size_guidance={"images": 0})
    events.Reload()
    assert {"train/still", "train/clip"} <= set(events.Tags()["images"])
    videos = events.Images("train/clip")
    assert [v.step for v in videos] == [8, 16]
    assert videos[-1].encoded_image_string == gifs[-1].read_bytes()  # the GIF written to disk
    frames = iio.imread(videos[-1].encoded_image_string, index=None)
    grid = grid_uint8(panels()["clip"][:, 0], nrow=N)
    assert frames.shape[:3] == (T, *grid.shape[:2]) and (videos[-1].height, videos[-1].width) == grid.shape[:2]
    np.testing.assert_array_equal(frames[0][..., :3], grid)  # < 256 colours: the GIF palette is exact
    stills = events.Images("train/still")
    assert [s.step for s in stills] == [8, 16]


def test_add_video_gets_uint8_n_t_c_h_w_when_moviepy_can_encode(tmp_path, monkeypatch):
    tb = TensorBoardLogger(tmp_path, name="tb")
    calls = []
    monkeypatch.setattr(image_logger, "has_moviepy_editor", lambda: True)
    monkeypatch.setattr(tb.experiment, "add_video", lambda *args, **kw: calls.append((args, kw)))
    clip = panels()["clip"]
    log_video(SimpleNamespace(loggers=[tb], global_step=7), "val/clip", clip, tmp_path / "unused.gif", min_size=12)
    (tag, video, step), kw = calls[0]
    assert tag == "val/clip" and step == 7 and kw == {"fps": image_logger.DEFAULT_FPS}
    assert video.dtype == torch.uint8 and video.shape == (N, T, 3, 2 * H, 2 * W)  # upscaled ×2 to ≥ 12 px
    assert torch.equal(video, video_uint8(clip, 12))
    assert torch.equal(video[..., ::2, ::2], (clip * 255).round().to(torch.uint8))


def test_wandb_receives_the_gif_as_a_video(tmp_path, monkeypatch):
    import wandb

    gif = image_logger.write_panel(tmp_path / "clip", panels()["clip"], nrow=N)
    lg = WandbLogger(offline=True, save_dir=str(tmp_path))  # the run is never started
    logged = []
    monkeypatch.setattr(lg, "log_metrics", lambda metrics, step=None: logged.append((metrics, step)))
    log_video(SimpleNamespace(loggers=[lg], global_step=5), "train/clip", panels()["clip"], gif)
    (metrics, step), = logged
    (video,) = metrics["train/clip"]
    assert step == 5 and isinstance(video, wandb.Video)
    assert video._format == "gif" and video._path == str(gif)
