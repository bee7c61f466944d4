"""Apply stateless (non-spiking) layers to multi-step tensors ``[T, B, ...]`` in one call."""

from __future__ import annotations

import torch
from torch import nn


def merge_time(x: torch.Tensor) -> torch.Tensor:
    """``[T, B, ...]`` → ``[T*B, ...]``."""
    return x.flatten(0, 1)


def split_time(x: torch.Tensor, steps: int) -> torch.Tensor:
    """``[T*B, ...]`` → ``[T, B, ...]``."""
    return x.unflatten(0, (steps, -1))


class TimeDistributed(nn.Module):
    """Run ``module`` on all time steps at once by folding T into the batch (no Python loop).

    Equivalent to spikingjelly's ``SeqToANNContainer`` for a single module; kept as a named
    wrapper so state_dict keys stay ``<name>.module.*`` across our networks.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return split_time(self.module(merge_time(x)), x.shape[0])
