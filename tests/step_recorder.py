"""Test-only callback (referenced from configs by target): records steps, can send SIGUSR1."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import lightning.pytorch as pl


class StepRecorder(pl.Callback):
    """Appends the global step at each train batch start to ``path``; at step ``signal_at``
    sends SIGUSR1 to this process and records whether ``watch`` exists one step later."""

    def __init__(self, path: str, signal_at: int = -1, watch: str = "") -> None:
        self.path = Path(path)
        self.signal_at = signal_at
        self.watch = Path(watch) if watch else None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        step = trainer.global_step
        exists = int(self.watch.is_file()) if self.watch else -1
        with self.path.open("a") as fh:
            fh.write(f"{step} {exists}\n")
        if step == self.signal_at:
            os.kill(os.getpid(), signal.SIGUSR1)
