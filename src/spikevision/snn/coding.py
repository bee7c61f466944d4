"""Input coding (static images or event bins → ``[T, B, C, H, W]``) and output decoding."""

from __future__ import annotations

import torch
from einops import rearrange

from spikevision.snn.time_distributed import expand_time

INPUT_CODINGS = ("direct", "bins")
OUTPUT_DECODINGS = ("mean", "last", "membrane", "none")


def encode_input(x: torch.Tensor, coding: str, time_steps: int) -> torch.Tensor:
    """Turn a batch into a multi-step input.

    - ``direct``: ``x`` is ``[B, C, H, W]`` (an image), repeated ``time_steps`` times as an
      expanded view (no copy), so stateless layers before the first neuron run once
      (:class:`~spikevision.snn.time_distributed.TimeDistributed`).
    - ``bins``: ``x`` is ``[B, T, C, H, W]`` (event/spike time bins); each bin is one time step
      (``T`` must equal ``time_steps``).
    Returns ``[T, B, C, H, W]``.
    """
    if coding == "direct":
        if x.dim() != 4:
            raise ValueError(f"'direct' coding expects [B, C, H, W], got shape {tuple(x.shape)}")
        return expand_time(x, time_steps)
    if coding == "bins":
        if x.dim() != 5:
            raise ValueError(f"'bins' coding expects [B, T, C, H, W], got shape {tuple(x.shape)}")
        if x.shape[1] != time_steps:
            raise ValueError(f"input has {x.shape[1]} time bins but the network runs T={time_steps}")
        return rearrange(x, "b t c h w -> t b c h w").contiguous()
    raise ValueError(f"unknown input coding '{coding}'; choose from {INPUT_CODINGS}")


def membrane_readout(y: torch.Tensor, tau: float = 2.0) -> torch.Tensor:
    """Final membrane potential of a non-firing leaky integrator driven by ``y`` ``[T, B, ...]``.

    ``v_t = v_{t-1} + (y_t - v_{t-1}) / tau`` from ``v_0 = 0`` (spikingjelly's LIF charge with
    ``decay_input``), evaluated in closed form ``v_T = sum_t y_t (1/tau) (1 - 1/tau)^(T-1-t)``
    so there is no loop over time.
    """
    steps = y.shape[0]
    decay = 1.0 - 1.0 / tau
    exponents = torch.arange(steps - 1, -1, -1, device=y.device, dtype=y.dtype)
    weights = (decay**exponents) / tau
    return torch.tensordot(weights, y, dims=([0], [0]))


def decode_output(y: torch.Tensor, decoding: str, tau: float = 2.0) -> torch.Tensor:
    """Collapse ``[T, B, ...]`` over time: ``mean``, ``last`` step, ``membrane`` potential of a
    leaky integrator (time constant ``tau``), or ``none`` (keep all steps)."""
    if decoding == "membrane":
        return membrane_readout(y, tau)
    if decoding == "mean":
        return y.mean(0)
    if decoding == "last":
        return y[-1]
    if decoding == "none":
        return y
    raise ValueError(f"unknown output decoding '{decoding}'; choose from {OUTPUT_DECODINGS}")
