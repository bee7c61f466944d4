"""Apply stateless (non-spiking) layers to multi-step tensors ``[T, B, ...]`` in one call."""

from __future__ import annotations

from collections.abc import Callable

import torch
from einops import rearrange
from torch import nn


def merge_time(x: torch.Tensor) -> torch.Tensor:
    """``[T, B, ...]`` → ``[T·B, ...]`` (a view when ``x`` is contiguous)."""
    return rearrange(x, "t b ... -> (t b) ...")


def split_time(x: torch.Tensor, steps: int) -> torch.Tensor:
    """``[T·B, ...]`` → ``[T, B, ...]``."""
    return rearrange(x, "(t b) ... -> t b ...", t=steps)


def expand_time(x: torch.Tensor, steps: int) -> torch.Tensor:
    """``[B, ...]`` → ``[T, B, ...]``: ``x`` repeated over ``steps`` time steps as an expanded view
    (no copy; :func:`repeated_over_time` recognises it)."""
    return x.unsqueeze(0).expand(steps, *x.shape)


def repeated_over_time(x: torch.Tensor) -> bool:
    """``x`` ``[T, ...]`` is one tensor repeated over T (an expanded view: direct coding)."""
    return x.dim() > 1 and x.shape[0] > 1 and x.stride(0) == 0


def once_per_time(layer: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``layer(x)`` for a stateless per-step layer; when ``x`` is repeated over time
    (:func:`repeated_over_time`) the layer runs once and its output is repeated the same way."""
    if repeated_over_time(x):
        return expand_time(layer(x[0]), x.shape[0])
    return layer(x)


class TimeDistributed(nn.Module):
    """Run ``module`` on all time steps at once by folding T into the batch (no Python loop).

    Equivalent to spikingjelly's ``SeqToANNContainer`` for a single module; kept as a named
    wrapper so state_dict keys stay ``<name>.module.*`` across our networks. An input repeated
    over time (direct coding, an expanded view) is processed once.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if repeated_over_time(x):
            return once_per_time(self.module, x)
        return split_time(self.module(merge_time(x)), x.shape[0])
