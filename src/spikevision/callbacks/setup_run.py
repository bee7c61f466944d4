"""Create the run directory and save the merged config (rank 0) when training starts."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
from omegaconf import DictConfig, OmegaConf


class SetupRun(pl.Callback):
    """Make ``<logdir>/{checkpoints,configs,images}`` and write ``configs/<time>-project.yaml``."""

    def __init__(self, logdir: str, config: DictConfig, timestamp: str) -> None:
        super().__init__()
        self.logdir = Path(logdir)
        self.config = config
        self.timestamp = timestamp

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if trainer.global_rank != 0:
            return
        for sub in ("checkpoints", "configs", "images"):
            (self.logdir / sub).mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, self.logdir / "configs" / f"{self.timestamp}-project.yaml")
