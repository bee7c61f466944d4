"""Write the model's ``log_images`` panels as PNG grids (and GIFs for time-resolved panels).

Files go to ``<logdir>/images/<split>/<name>_gs-<step>_e-<epoch>_b-<batch>.png``; panels with
a time axis ``[N, T, 3, H, W]`` become animated GIFs of the grid over T. TensorBoard loggers also
and W&B loggers also receive the PNG grids. Logging happens at steps 1, 2, 4, … then every ``batch_frequency`` train
batches, and on the first validation batch of every validation run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import imageio.v3 as iio
import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from torchvision.utils import make_grid


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


def write_panel(path: Path, images: torch.Tensor, nrow: int, fps: float = 4.0, min_size: int = 0) -> Path:
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


class ImageLogger(pl.Callback):
    """Log ``pl_module.log_images(batch)`` panels during training and validation (rank 0 only)."""

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

    def _due(self, step: int) -> bool:
        if step % self.batch_frequency == 0:
            return True
        return self.log_first_steps and step > 0 and (step & (step - 1)) == 0

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
            if images.dim() == 4:
                grid = grid_uint8(upscale_small(images, self.min_size), nrow)
                for lg in trainer.loggers:
                    if isinstance(lg, TensorBoardLogger):
                        lg.experiment.add_image(f"{split}/{name}", grid, trainer.global_step, dataformats="HWC")
                    elif isinstance(lg, WandbLogger):
                        lg.log_image(key=f"{split}/{name}", images=[grid], step=trainer.global_step)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._due(trainer.global_step):
            self.write_panels(trainer, pl_module, batch, "train", batch_idx)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if self.log_validation and batch_idx == 0 and not trainer.sanity_checking:
            self.write_panels(trainer, pl_module, batch, "val", batch_idx)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if batch_idx == 0:
            self.write_panels(trainer, pl_module, batch, "test", batch_idx)
