"""Save ``last.ckpt`` when the process receives SIGUSR1 (e.g. before a cluster pre-emption).

The handler only sets a flag; the checkpoint is written at the next batch end from the training
loop, where the state is consistent (saving inside a signal handler could catch an optimizer
step half-way).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.utilities import rank_zero_info


class SignalCheckpoint(pl.Callback):
    """On SIGUSR1, write ``<dirpath>/last.ckpt`` at the next train batch end."""

    def __init__(self, dirpath: str, signum: int = getattr(signal, "SIGUSR1", 10)) -> None:
        super().__init__()
        self.dirpath = Path(dirpath)
        self.signum = signum
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame) -> None:
        self.requested = True

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(self.signum, self._handler)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._previous is not None:
            signal.signal(self.signum, self._previous)
            self._previous = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.requested:
            self.requested = False
            path = self.dirpath / "last.ckpt"
            trainer.save_checkpoint(path)
            rank_zero_info(f"signal {self.signum}: saved checkpoint {path}")
