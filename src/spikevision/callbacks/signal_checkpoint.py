"""Save ``last.ckpt`` on SIGUSR1 (e.g. before a cluster pre-emption) and on SIGTERM, on every
rank at the same step.

The signal handlers only set a flag; the checkpoint is written at a train batch end, where the
state is consistent (saving inside a signal handler could catch an optimizer step half-way).
``Trainer.save_checkpoint`` is a collective under DDP (rank 0 writes, then every rank meets in a
barrier), and a signal may reach one rank (``kill PID``), some, or all (a scheduler): so at each
train batch end the ranks agree on the flags with one all-reduce of two integers (every
``check_every_n_batches`` batches), and every rank saves, and stops, at the same batch.

- SIGUSR1: save, then training goes on.
- SIGTERM (what schedulers send before killing a job): save, then stop with Lightning's
  ``SIGTERMException``; the trainer CLI turns it into exit status 143. Lightning's own SIGTERM
  handler is replaced during training (from the sanity check on): it broadcasts from inside the
  handler, which pairs with whatever collective the other ranks are in at that moment (a gloo run
  signalled on one rank aborted with "Is there a distributed collective mismatch", and saved
  nothing), and its loops stop each rank on its own flag. A SIGTERM that arrives after the last
  batch saves and stops at the end of training; one outside training (test) is Lightning's.

All saves go through ``trainer.save_checkpoint``, i.e. the Trainer's CheckpointIO
(:class:`~spikevision.callbacks.AtomicCheckpointIO` in the CLI: temp file + rename).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import lightning.pytorch as pl
import torch
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


def any_rank(trainer: pl.Trainer, flags: list[bool]) -> list[bool]:
    """``flags`` OR-ed over all ranks (one all-reduce of ``len(flags)`` integers; no
    communication with a single process). Every rank must call it at the same point."""
    if trainer.world_size <= 1:
        return list(flags)
    counts = torch.tensor([int(f) for f in flags], dtype=torch.int32, device=trainer.strategy.root_device)
    counts = trainer.strategy.reduce(counts, reduce_op="sum")
    return [bool(c) for c in counts.tolist()]


class SignalCheckpoint(pl.Callback):
    """On SIGUSR1, write ``<dirpath>/last.ckpt`` at a train batch end and go on; on SIGTERM,
    write it and stop. Under DDP all ranks save and stop at the same batch, whichever ranks
    got the signal; the flags are checked every ``check_every_n_batches`` train batches."""

    def __init__(self, dirpath: str, signum: int = getattr(signal, "SIGUSR1", 10),
                 check_every_n_batches: int = 1) -> None:
        super().__init__()
        if check_every_n_batches < 1:
            raise ValueError(f"check_every_n_batches must be >= 1, got {check_every_n_batches}")
        self.dirpath = Path(dirpath)
        self.signum = signum
        self.check_every_n_batches = check_every_n_batches
        self.requested = False  # this process got `signum` (SIGUSR1)
        self.terminating = False  # this process got SIGTERM
        self._previous = None
        self._previous_term = None
        self._batches = 0
        self._saved_on_sigterm = False

    def _handler(self, signum, frame) -> None:
        self.requested = True

    def _on_sigterm(self, signum, frame) -> None:
        self.terminating = True

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or threading.current_thread() is not threading.main_thread():
            return
        self.requested = self.terminating = self._saved_on_sigterm = False
        self._batches = 0
        # Under SLURM, Lightning's SLURMEnvironment requeues the job on its `requeue_signal`
        # (SIGUSR1 unless configured): it installs that handler only if none is there yet, so
        # installing ours would switch auto-requeue off. Leave that signal to Lightning (it saves
        # its own hpc checkpoint before requeueing); SIGTERM still saves last.ckpt.
        if self.signum == lightning_requeue_signal(trainer):
            rank_zero_info(f"SLURM: signal {self.signum} is left to Lightning's auto-requeue")
            return
        self._previous = signal.signal(self.signum, self._handler)

    def _take_sigterm(self, trainer: pl.Trainer) -> None:
        """Replace Lightning's SIGTERM handler (installed after ``setup``; restored by the Trainer's
        teardown) with ours, which only sets a flag."""
        if trainer.state.fn != TrainerFn.FITTING or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) != self._on_sigterm:
            self._previous_term = signal.signal(signal.SIGTERM, self._on_sigterm)

    def on_sanity_check_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._take_sigterm(trainer)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._take_sigterm(trainer)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._previous is not None:
            signal.signal(self.signum, self._previous)
            self._previous = None
        if self._previous_term is not None:
            if signal.getsignal(signal.SIGTERM) == self._on_sigterm:  # the Trainer restores it otherwise
                signal.signal(signal.SIGTERM, self._previous_term)
            self._previous_term = None

    def _save(self, trainer: pl.Trainer, why: str) -> None:
        path = self.dirpath / "last.ckpt"
        trainer.save_checkpoint(path, weights_only=False)  # full state: optimizer, loops, callbacks
        rank_zero_info(f"{why}: saved checkpoint {path} at step {trainer.global_step}")

    def _act(self, trainer: pl.Trainer, usr1: bool = True) -> None:
        """Agree on the flags over all ranks, then save (and stop on SIGTERM) on every rank."""
        requested, terminating = any_rank(trainer, [self.requested and usr1, self.terminating])
        if terminating:
            self.requested = self.terminating = False
            self._save(trainer, "SIGTERM")
            self._saved_on_sigterm = True
            raise SIGTERMException()
        if requested:
            self.requested = False
            self._save(trainer, f"signal {self.signum}")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._batches += 1  # the same count on every rank (DDP runs the same number of batches)
        if self._batches % self.check_every_n_batches == 0:
            self._act(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # a SIGTERM after the last checked batch (during the final validation, say): save and stop
        # here, before the Trainer restores the default handler (the CLI saves last.ckpt anyway
        # after a finished fit, so a pending SIGUSR1 needs nothing)
        self._act(trainer, usr1=False)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        # Lightning's own SIGTERM handling (a SIGTERM before the sanity check): after a whole
        # batch, so the state is consistent. Single process only: under DDP its loops may stop
        # one rank alone, and a save there would wait for the others forever.
        if (isinstance(exception, SIGTERMException) and not self._saved_on_sigterm
                and trainer.state.fn == TrainerFn.FITTING and trainer.world_size == 1):
            self._save(trainer, "SIGTERM")
