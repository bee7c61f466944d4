"""A test callback: from ``from_step`` on, every floating batch tensor becomes NaN (NaN inputs)."""

from __future__ import annotations

import lightning.pytorch as pl
import torch


class NaNInputs(pl.Callback):
    def __init__(self, from_step: int = 0) -> None:
        self.from_step = from_step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step >= self.from_step:
            for v in batch.values():
                if isinstance(v, torch.Tensor) and v.is_floating_point():
                    v.fill_(float("nan"))
