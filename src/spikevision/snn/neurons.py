"""Spiking neurons: spikingjelly 2.x LIF in multi-step mode with configurable defaults.

Defaults are those of the temporal-codebook paper (BrainCog): tau=2, threshold 0.5, hard reset to 0
with the reset detached from the graph, piecewise-quadratic surrogate with alpha=2.
All neurons built here take tensors shaped ``[T, B, ...]`` (``step_mode='m'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from spikingjelly.activation_based import functional, neuron, surrogate
from torch import nn

LIF_DEFAULTS: dict[str, Any] = {
    "tau": 2.0,
    "v_threshold": 0.5,
    "v_reset": 0.0,
    "detach_reset": True,
    "surrogate": "PiecewiseQuadratic",
    "surrogate_alpha": 2.0,
    "decay_input": True,
}


def make_surrogate(name: str, alpha: float) -> surrogate.SurrogateFunctionBase:
    """A spikingjelly surrogate gradient function by class name (e.g. ``Sigmoid``, ``ATan``)."""
    cls = getattr(surrogate, name, None)
    if cls is None or not isinstance(cls, type):
        names = [n for n in dir(surrogate) if n[0].isupper() and not n.endswith("Base")]
        raise ValueError(f"unknown surrogate '{name}'; spikingjelly offers {names}")
    return cls(alpha=alpha)


def make_lif(config: Mapping[str, Any] | None = None) -> neuron.LIFNode:
    """A multi-step LIF neuron; ``config`` overrides keys of :data:`LIF_DEFAULTS`."""
    cfg = {**LIF_DEFAULTS, **(dict(config) if config else {})}
    unknown = set(cfg) - set(LIF_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown LIF options {sorted(unknown)}; valid: {sorted(LIF_DEFAULTS)}")
    return neuron.LIFNode(
        tau=float(cfg["tau"]),
        v_threshold=float(cfg["v_threshold"]),
        v_reset=None if cfg["v_reset"] is None else float(cfg["v_reset"]),
        detach_reset=bool(cfg["detach_reset"]),
        surrogate_function=make_surrogate(cfg["surrogate"], float(cfg["surrogate_alpha"])),
        decay_input=bool(cfg["decay_input"]),
        step_mode="m",
    )


NEURON_KINDS = ("lif", "if", "ilif")


def make_neuron(config: Mapping[str, Any] | None = None) -> neuron.BaseNode:
    """A multi-step spiking neuron from ``{kind: lif|if|ilif, ...}`` (default ``lif``).

    - ``lif``: :func:`make_lif` (the keys of :data:`LIF_DEFAULTS`);
    - ``if``: integrate-and-fire, ``v_threshold``, ``v_reset`` (``null`` = soft reset, which
      keeps the residue so the rate error shrinks as 1/T), ``detach_reset``, ``surrogate``,
      ``surrogate_alpha``;
    - ``ilif``: spikingjelly's integer LIF (I-LIF, Luo et al. ECCV 2024): up to
      ``max_spike_count`` spikes per step (multi-level spikes, soft reset), ``tau``,
      ``v_threshold``.
    """
    cfg = dict(config or {})
    kind = cfg.pop("kind", "lif")
    if kind == "lif":
        return make_lif(cfg)
    if kind == "if":
        allowed = {"v_threshold": 1.0, "v_reset": None, "detach_reset": True,
                   "surrogate": "ATan", "surrogate_alpha": 2.0}
        unknown = set(cfg) - set(allowed)
        if unknown:
            raise ValueError(f"unknown IF options {sorted(unknown)}; valid: {sorted(allowed)}")
        c = {**allowed, **cfg}
        return neuron.IFNode(v_threshold=float(c["v_threshold"]),
                             v_reset=None if c["v_reset"] is None else float(c["v_reset"]),
                             detach_reset=bool(c["detach_reset"]),
                             surrogate_function=make_surrogate(c["surrogate"], float(c["surrogate_alpha"])),
                             step_mode="m")
    if kind == "ilif":
        allowed = {"tau": 4.0 / 3.0, "v_threshold": 1.0, "max_spike_count": 4, "detach_reset": False}
        unknown = set(cfg) - set(allowed)
        if unknown:
            raise ValueError(f"unknown I-LIF options {sorted(unknown)}; valid: {sorted(allowed)}")
        c = {**allowed, **cfg}
        levels = int(c["max_spike_count"])
        return neuron.ILIFNode(tau=float(c["tau"]), v_threshold=float(c["v_threshold"]),
                               surrogate_function=surrogate.MultiLevelSpikeCount(levels),
                               detach_reset=bool(c["detach_reset"]), step_mode="m")
    raise ValueError(f"unknown neuron kind '{kind}'; choose from {NEURON_KINDS}")


class LIFNonlinearity(nn.Module):
    """The "LIF-nonlinearity" ``x * LIF(x)``: real values gated by spikes. ``[T, B, ...]``."""

    def __init__(self, lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.lif = make_lif(lif)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.lif(x)


def reset_states(module: nn.Module) -> None:
    """Reset every neuron's membrane state in ``module`` (call after each forward pass)."""
    functional.reset_net(module)
