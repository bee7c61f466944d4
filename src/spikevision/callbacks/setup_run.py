"""Create the run directory (rank 0) at setup, and save the merged config once the run has really
started: after a resumed checkpoint has loaded, so a resume that fails (a shape mismatch, a bad
override) leaves the run's newest ``configs/*-project.yaml`` as it was."""

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
        self.saved = False

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if trainer.global_rank != 0:
            return
        for sub in ("checkpoints", "configs", "images"):
            (self.logdir / sub).mkdir(parents=True, exist_ok=True)

    def _save_config(self, trainer: pl.Trainer) -> None:
        if trainer.global_rank == 0 and not self.saved:
            OmegaConf.save(self.config, self.logdir / "configs" / f"{self.timestamp}-project.yaml")
            self.saved = True

    # the first of these runs after Lightning has restored a resumed checkpoint (model and optimizers)
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._save_config(trainer)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._save_config(trainer)

    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._save_config(trainer)
