"""Stop (or skip) training steps whose gradients are not finite.

A NaN/inf loss (NaN inputs, an exploding step) gives non-finite gradients; one optimizer step with
them turns every weight into NaN, and the next checkpoint would replace a good ``last.ckpt`` with
garbage while the run goes on and exits 0. The check runs right before each optimizer step (after
DDP's gradient all-reduce, so every rank sees the same verdict and none is left waiting):

- ``action: stop`` (default): raise :class:`~spikevision.errors.NonFiniteError`; the weights are
  still the last finite ones, and the crash handler saves them as ``last.ckpt``;
- ``action: skip``: drop that step's gradients (the optimizer leaves the weights alone) and warn;
  ``max_skips`` consecutive skips stop the run.

Config: ``lightning.callbacks.nonfinite: {params: {action: skip, max_skips: 10}}`` (``null`` turns
the guard off).
"""

from __future__ import annotations

import logging

import lightning.pytorch as pl
import torch

from spikevision.errors import NonFiniteError

log = logging.getLogger(__name__)


class NonFiniteGuard(pl.Callback):
    def __init__(self, action: str = "stop", max_skips: int = 10) -> None:
        if action not in ("stop", "skip"):
            raise ValueError(f"lightning.callbacks.nonfinite: action must be 'stop' or 'skip', got {action!r}")
        self.action, self.max_skips = action, int(max_skips)
        self.skipped = 0  # consecutive skipped steps
        self.total_skipped = 0

    def on_before_optimizer_step(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                                 optimizer: torch.optim.Optimizer) -> None:
        params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        if not params:
            return
        # one fused norm over all gradients (foreach kernels), not a Python loop per tensor each step
        total = torch.nn.utils.get_total_norm([p.grad.detach() for p in params])
        if bool(torch.isfinite(total)):
            self.skipped = 0
            return
        names = {id(p): n for n, p in pl_module.named_parameters()}
        bad = [names.get(id(p), "?") for p in params if not bool(torch.isfinite(p.grad).all())]
        where = f"step {trainer.global_step}: non-finite gradients in {len(bad)} tensors (first: {bad[0]})"
        if self.action == "skip":
            self.skipped += 1
            self.total_skipped += 1
            if self.skipped <= self.max_skips:
                for p in params:
                    p.grad = None
                log.warning("%s; skipped this optimizer step (%d in a row)", where, self.skipped)
                return
            where += f", {self.skipped} steps in a row"
        raise NonFiniteError(
            f"{where}: the loss or the inputs are NaN/inf. The weights were not updated; last.ckpt keeps the "
            "last finite state. Check the data, lower the learning rate, or set "
            "lightning.callbacks.nonfinite.params.action=skip to skip such steps.")
