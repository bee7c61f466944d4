"""Test-only callback (referenced from configs by target) for the DDP fault tests: records what
each rank did, and at one step on one rank sends a signal to that process or raises."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import lightning.pytorch as pl


class RankFault(pl.Callback):
    """Appends ``step <global_step>`` at each train batch start and ``save <global_step>`` at each
    checkpoint save (every rank takes part in one) to ``<path>.rank<global rank>``. On rank
    ``rank`` at the start of step ``at``, ``action`` happens: a signal name (``SIGUSR1``,
    ``SIGTERM``, ``SIGKILL``) is sent to this process; ``raise`` raises ``RuntimeError``."""

    def __init__(self, path: str, rank: int = 0, at: int = -1, action: str = "SIGUSR1", record: bool = True) -> None:
        self.path, self.rank, self.at, self.action, self.record = path, rank, at, action, record

    def _log(self, trainer: pl.Trainer, line: str) -> None:
        if self.record:
            with Path(f"{self.path}.rank{trainer.global_rank}").open("a") as fh:
                fh.write(line + "\n")

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        step = trainer.global_step
        self._log(trainer, f"step {step}")
        if trainer.global_rank != self.rank or step != self.at:
            return
        if self.action == "raise":
            raise RuntimeError(f"injected failure on rank {self.rank} at step {step}")
        os.kill(os.getpid(), getattr(signal, self.action))

    def on_save_checkpoint(self, trainer, pl_module, checkpoint) -> None:
        self._log(trainer, f"save {trainer.global_step}")
