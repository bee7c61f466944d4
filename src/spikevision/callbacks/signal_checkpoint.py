"""Save ``last.ckpt`` on SIGUSR1 (e.g. before a cluster pre-emption) and on SIGTERM.

SIGUSR1: the handler only sets a flag; the checkpoint is written at the next batch end from the
training loop, where the state is consistent (saving inside a signal handler could catch an
optimizer step half-way). Training then goes on.

SIGTERM (what schedulers send before killing a job): Lightning's own handler sets
``trainer.received_sigterm`` and its loops stop with ``SIGTERMException`` after the current batch;
this callback's ``on_exception`` then writes ``last.ckpt`` (before the Trainer tears down), and
the trainer CLI exits with status 143.

All saves go through ``trainer.save_checkpoint``, i.e. the Trainer's CheckpointIO
(:class:`~spikevision.callbacks.AtomicCheckpointIO` in the CLI: temp file + rename).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import lightning.pytorch as pl
from lightning.fabric.plugins.environments import SLURMEnvironment
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException


def lightning_requeue_signal(trainer: pl.Trainer) -> int | None:
    """The signal Lightning handles itself to requeue a SLURM job (``None`` off SLURM)."""
    if not SLURMEnvironment.detect():
        return None
    env = getattr(getattr(trainer, "_accelerator_connector", None), "cluster_environment", None)
    if isinstance(env, SLURMEnvironment):
        return env.requeue_signal if env.auto_requeue else None
    return SLURMEnvironment().requeue_signal


class SignalCheckpoint(pl.Callback):
    """On SIGUSR1, write ``<dirpath>/last.ckpt`` at the next train batch end; on SIGTERM, write
    it when Lightning stops training."""

    def __init__(self, dirpath: str, signum: int = getattr(signal, "SIGUSR1", 10)) -> None:
        super().__init__()
        self.dirpath = Path(dirpath)
        self.signum = signum
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame) -> None:
        self.requested = True

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or threading.current_thread() is not threading.main_thread():
            return
        # Under SLURM, Lightning's SLURMEnvironment requeues the job on its `requeue_signal`
        # (SIGUSR1 unless configured): it installs that handler only if none is there yet, so
        # installing ours would switch auto-requeue off. Leave that signal to Lightning (it saves
        # its own hpc checkpoint before requeueing); SIGTERM still saves last.ckpt (on_exception).
        if self.signum == lightning_requeue_signal(trainer):
            rank_zero_info(f"SLURM: signal {self.signum} is left to Lightning's auto-requeue")
            return
        self._previous = signal.signal(self.signum, self._handler)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._previous is not None:
            signal.signal(self.signum, self._previous)
            self._previous = None

    def _save(self, trainer: pl.Trainer, why: str) -> None:
        path = self.dirpath / "last.ckpt"
        trainer.save_checkpoint(path)
        rank_zero_info(f"{why}: saved checkpoint {path}")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.requested:
            self.requested = False
            self._save(trainer, f"signal {self.signum}")

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        # Lightning raises SIGTERMException after a whole batch (or mid-validation, which a
        # resumed run finishes), so the state is consistent.
        if isinstance(exception, SIGTERMException) and trainer.state.fn == TrainerFn.FITTING:
            self._save(trainer, "SIGTERM")
