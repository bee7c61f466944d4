"""Test-only callback (referenced from configs by target): records steps, can send a signal."""

from __future__ import annotations

import glob
import os
import signal
from pathlib import Path

import lightning.pytorch as pl
import torch


class StepRecorder(pl.Callback):
    """Appends the global step at each train batch start to ``path``; at step ``signal_at``
    sends ``signal_name`` (SIGUSR1 by default) to this process and records whether ``watch``
    exists one step later. With ``probe`` (a glob), each line also gets the ``global_step`` saved in
    the newest matching checkpoint (-1 if none)."""

    def __init__(self, path: str, signal_at: int = -1, watch: str = "", signal_name: str = "SIGUSR1",
                 probe: str = "") -> None:
        self.path = Path(path)
        self.signal_at = signal_at
        self.watch = Path(watch) if watch else None
        self.signum = getattr(signal, signal_name)
        self.probe = probe

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        step = trainer.global_step
        exists = int(self.watch.is_file()) if self.watch else -1
        line = f"{step} {exists}"
        if self.probe:
            found = sorted(glob.glob(self.probe), key=os.path.getmtime)
            saved = torch.load(found[-1], weights_only=True)["global_step"] if found else -1
            line += f" {saved}"
        with self.path.open("a") as fh:
            fh.write(line + "\n")
        if step == self.signal_at:
            os.kill(os.getpid(), self.signum)
