"""Write the model's ``log_images`` panels as PNG grids (and GIFs for time-resolved panels).

Files go to ``<logdir>/images/<split>/<name>_gs-<step>_e-<epoch>_b-<batch>.png``; panels with
a time axis ``[N, T, 3, H, W]`` become animated GIFs of the grid over T. TensorBoard and W&B
loggers receive the PNG grids as images and the GIFs as videos: TensorBoard through
``SummaryWriter.add_video`` (``uint8 [N, T, C, H, W]``) when moviepy 1.x is installed, otherwise
the same GIF image summary written from our GIF (what ``add_video`` would encode; shown animated
in the Images tab); W&B as ``wandb.Video`` of the GIF file. The logger step is
``trainer.global_step``.

When: after training batches 1, 2, 4, … (``log_first_steps``) and then every ``batch_frequency``
training *batches* — counted by the training loop, not by ``global_step``, which under manual
optimisation with two optimizers (the VQ-GAN) advances twice per batch — and on the first
validation and test batch of every evaluation run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from torchvision.utils import make_grid

DEFAULT_FPS = 4.0


def grid_uint8(images: torch.Tensor, nrow: int) -> np.ndarray:
    """``[N, 3, H, W]`` in [0, 1] → ``uint8 [H', W', 3]`` grid."""
    grid = make_grid(images.float().clamp(0, 1).cpu(), nrow=nrow, padding=1, pad_value=1.0)
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def upscale_small(images: torch.Tensor, min_size: int) -> torch.Tensor:
    """Nearest-neighbour upscale by an integer factor so that H ≥ ``min_size`` (tiny sensors
    like 34×34 N-MNIST are unreadable at 1:1)."""
    factor = -(-min_size // images.shape[-2]) if min_size > 0 else 1
    if factor <= 1:
        return images
    return images.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)


def write_panel(path: Path, images: torch.Tensor, nrow: int, fps: float = DEFAULT_FPS, min_size: int = 0) -> Path:
    """Write ``[N, 3, H, W]`` as PNG or ``[N, T, 3, H, W]`` as GIF; return the written path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    images = upscale_small(images, min_size)
    if images.dim() == 5:
        frames = [grid_uint8(images[:, t], nrow) for t in range(images.shape[1])]
        path = path.with_suffix(".gif")
        iio.imwrite(path, np.stack(frames), duration=1000.0 / fps, loop=0)
    else:
        path = path.with_suffix(".png")
        iio.imwrite(path, grid_uint8(images, nrow))
    return path


def video_uint8(images: torch.Tensor, min_size: int = 0) -> torch.Tensor:
    """``[N, T, 3, H, W]`` in [0, 1] → ``uint8 [N, T, 3, H', W']`` (upscaled as the GIFs are), the
    layout of ``SummaryWriter.add_video``."""
    images = upscale_small(images.float().clamp(0, 1).cpu(), min_size)
    return (images * 255).round().to(torch.uint8)


def has_moviepy_editor() -> bool:
    """Whether torch's ``add_video`` can encode: it needs ``moviepy.editor`` (moviepy 1.x), an
    optional package that spikevision does not depend on."""
    try:
        return importlib.util.find_spec("moviepy.editor") is not None
    except ImportError:  # no moviepy at all
        return False


def tensorboard_gif(experiment: Any, tag: str, gif: Path, step: int) -> None:
    """Write the GIF file ``gif`` as a TensorBoard image summary (the summary ``add_video`` makes)."""
    from torch.utils.tensorboard.summary import Summary

    first = iio.imread(gif, index=0)
    channels = first.shape[2] if first.ndim == 3 else 1
    image = Summary.Image(height=first.shape[0], width=first.shape[1], colorspace=channels,
                          encoded_image_string=gif.read_bytes())
    experiment._get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, image=image)]), step)


def log_video(trainer: pl.Trainer, tag: str, images: torch.Tensor, gif: Path, min_size: int = 0,
              fps: float = DEFAULT_FPS) -> None:
    """Send a time-resolved panel ``[N, T, 3, H, W]`` (written to ``gif``) to the TensorBoard and
    W&B loggers of ``trainer`` as a video (see the module docstring)."""
    for lg in trainer.loggers:
        if isinstance(lg, TensorBoardLogger):
            if has_moviepy_editor():
                lg.experiment.add_video(tag, video_uint8(images, min_size), trainer.global_step, fps=fps)
            else:
                tensorboard_gif(lg.experiment, tag, gif, trainer.global_step)
        elif isinstance(lg, WandbLogger):
            lg.log_video(key=tag, videos=[str(gif)], step=trainer.global_step)


class ImageLogger(pl.Callback):
    """Log ``pl_module.log_images(batch)`` panels during training and validation (rank 0 only).

    ``batch_frequency``: training batches between two logs (after the first ``log_first_steps``
    powers of two); ``max_images``: images per panel; ``min_size``: upscale panels to this height.
    """

    def __init__(
        self,
        batch_frequency: int = 500,
        max_images: int = 8,
        nrow: int | None = None,
        log_first_steps: bool = True,
        log_validation: bool = True,
        enabled: bool = True,
        min_size: int = 96,
    ) -> None:
        super().__init__()
        self.batch_frequency = max(1, batch_frequency)
        self.max_images = max_images
        self.nrow = nrow
        self.log_first_steps = log_first_steps
        self.log_validation = log_validation
        self.enabled = enabled
        self.min_size = min_size
        self.last_written: dict[str, Path] = {}

    def _due(self, batches: int) -> bool:
        """Whether to log after ``batches`` training batches (1-based count)."""
        if batches % self.batch_frequency == 0:
            return True
        return self.log_first_steps and batches > 0 and (batches & (batches - 1)) == 0

    @staticmethod
    def batches_seen(trainer: pl.Trainer) -> int:
        """Training batches run so far, this one included (restored on resume with the loop state)."""
        return trainer.fit_loop.epoch_loop.total_batch_idx + 1

    def write_panels(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, split: str,
            batch_idx: int) -> None:
        """Render the panels of ``batch`` and write them under ``<logdir>/images/<split>``."""
        if not self.enabled or not hasattr(pl_module, "log_images") or trainer.global_rank != 0:
            return
        was_training = pl_module.training
        pl_module.eval()
        try:
            with torch.no_grad():
                panels = pl_module.log_images(batch, max_images=self.max_images)
        finally:
            pl_module.train(was_training)
        root = Path(trainer.default_root_dir) / "images" / split
        tag = f"gs-{trainer.global_step:06}_e-{trainer.current_epoch:04}_b-{batch_idx:06}"
        for name, images in panels.items():
            nrow = self.nrow or (1 if name == "comparison" else min(8, images.shape[0]))
            path = write_panel(root / f"{name}_{tag}", images, nrow, min_size=self.min_size)
            self.last_written[f"{split}/{name}"] = path
            if images.dim() == 5:
                log_video(trainer, f"{split}/{name}", images, path, self.min_size)
            else:
                grid = grid_uint8(upscale_small(images, self.min_size), nrow)
                for lg in trainer.loggers:
                    if isinstance(lg, TensorBoardLogger):
                        lg.experiment.add_image(f"{split}/{name}", grid, trainer.global_step, dataformats="HWC")
                    elif isinstance(lg, WandbLogger):
                        lg.log_image(key=f"{split}/{name}", images=[grid], step=trainer.global_step)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._due(self.batches_seen(trainer)):
            self.write_panels(trainer, pl_module, batch, "train", batch_idx)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if self.log_validation and batch_idx == 0 and not trainer.sanity_checking:
            self.write_panels(trainer, pl_module, batch, "val", batch_idx)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if batch_idx == 0:
            self.write_panels(trainer, pl_module, batch, "test", batch_idx)
