"""Operation counts and an energy estimate of one inference: MACs vs synaptic operations (SynOps).

Every convolution (1-3 d), transposed convolution and linear layer that runs gets a forward
hook (on the layers of ``model``, or, with ``model=None``, on every module called, through a
global hook), which records for each call

- ``macs``: the multiply-accumulates of the layer with a dense input (the dense-equivalent cost;
  a conv counts ``out.numel() · C_in/groups · k_h · k_w``, a transposed conv
  ``in.numel() · C_out/groups · k_h · k_w``, a linear layer ``out.numel() · in_features``);
  a spiking network folds its T time steps into the batch, so every step is counted;
- whether its input is spikes (every element a non-negative integer: binary spikes, spike counts
  of multi-level neurons, binary event frames);
- ``synops`` for spike inputs: the accumulates the spikes trigger, ``Σ input spike count ×
  fan-out`` with the layer's mean fan-out ``macs / in.numel()`` (a spike of count c costs c
  accumulates per connection). This equals ``macs × mean input``, the convention of
  syops-counter and the SNN energy literature; near zero-padded borders it counts the padded
  taps' connections as the interior's.

Layers fed by real values (the input layer of direct coding, the gated ``x·LIF(x)`` values of
``LIFNonlinearity``, a CNN) are charged their MACs; ``nonzero_macs`` counts only their non-zero
inputs' connections (``Σ nnz(input) × fan-out``: what hardware that skips zeros performs, e.g.
for the spike-gated values of ``LIFNonlinearity``, which are zero wherever no spike). Matrix
products written as functions (attention's ``q·kᵀ`` and ``·v``) and element-wise layers (norms,
neurons) are not modules of the counted kinds and are not counted.

Energy, with the 45 nm CMOS energies of Horowitz (ISSCC 2014, "Computing's energy problem (and
what we can do about it)"), 32-bit floating point: a multiply-accumulate ``E_MAC = 4.6 pJ``
(3.7 pJ multiply + 0.9 pJ add), an accumulate ``E_AC = 0.9 pJ``:

- ``energy_dense_j = dense_macs · E_MAC`` (every layer as an ANN would run it, same T);
- ``energy_spiking_j = real_macs · E_MAC + synops · E_AC`` (what the spikes actually cost);
- ``energy_zero_skip_j = nonzero_macs · E_MAC + synops · E_AC`` (the same, real inputs' zeros skipped).

These count arithmetic only (no memory traffic), as the papers comparing SNNs with ANNs do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

#: energy of one 32-bit float multiply-accumulate at 45 nm, joules (Horowitz, ISSCC 2014)
E_MAC_J = 4.6e-12
#: energy of one 32-bit float accumulate (add) at 45 nm, joules (Horowitz, ISSCC 2014)
E_AC_J = 0.9e-12
ENERGY_SOURCE = "Horowitz, ISSCC 2014 (45 nm, fp32): E_MAC = 4.6 pJ, E_AC = 0.9 pJ"

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
COUNTED = (*CONVS, *TRANSPOSED, nn.Linear)


@dataclass
class LayerOps:
    """Counts of one layer per inference (summed over its calls). ``spike_input``: some call was
    fed spikes; ``input_rate``: the mean input value over all calls."""

    name: str
    macs: float = 0.0
    spike_macs: float = 0.0
    synops: float = 0.0
    nonzero_macs: float = 0.0
    spike_input: bool = False
    input_rate: float = 0.0
    calls: int = 0
    _input_sum: float = field(default=0.0, repr=False)
    _input_numel: float = field(default=0.0, repr=False)

    @property
    def real_macs(self) -> float:
        """MACs of the calls with real-valued input."""
        return self.macs - self.spike_macs

    def as_dict(self) -> dict[str, Any]:
        return {"macs": self.macs, "real_macs": self.real_macs, "nonzero_macs": self.nonzero_macs,
                "synops": self.synops, "spike_input": self.spike_input, "input_rate": self.input_rate,
                "calls": self.calls}


@dataclass
class OpCount:
    """Per-layer counts (per inference) and their totals; see the module docstring."""

    layers: dict[str, LayerOps] = field(default_factory=dict)

    @property
    def dense_macs(self) -> float:
        """MACs of the same layers if every input were dense (the ANN-equivalent cost)."""
        return sum(layer.macs for layer in self.layers.values())

    @property
    def real_macs(self) -> float:
        """MACs of the layer calls with real-valued input."""
        return sum(layer.real_macs for layer in self.layers.values())

    @property
    def synops(self) -> float:
        """Accumulates triggered by spikes."""
        return sum(layer.synops for layer in self.layers.values())

    @property
    def nonzero_macs(self) -> float:
        """MACs of the real-valued inputs' non-zero elements."""
        return sum(layer.nonzero_macs for layer in self.layers.values())

    @property
    def energy_dense_j(self) -> float:
        return self.dense_macs * E_MAC_J

    @property
    def energy_spiking_j(self) -> float:
        return self.real_macs * E_MAC_J + self.synops * E_AC_J

    @property
    def energy_zero_skip_j(self) -> float:
        return self.nonzero_macs * E_MAC_J + self.synops * E_AC_J

    def summary(self) -> dict[str, Any]:
        """The totals (per inference) and the energy estimate, with the constants and their source."""
        dense, spiking = self.energy_dense_j, self.energy_spiking_j
        return {"dense_macs": self.dense_macs, "real_macs": self.real_macs, "nonzero_macs": self.nonzero_macs,
                "synops": self.synops, "energy_dense_j": dense, "energy_spiking_j": spiking,
                "energy_zero_skip_j": self.energy_zero_skip_j,
                "energy_ratio": spiking / dense if dense else None,
                "e_mac_pj": E_MAC_J * 1e12, "e_ac_pj": E_AC_J * 1e12, "energy_source": ENERGY_SOURCE}

    def as_dict(self) -> dict[str, Any]:
        """:meth:`summary` plus ``layers``: ``{name: LayerOps.as_dict()}``."""
        return {**self.summary(), "layers": {k: v.as_dict() for k, v in self.layers.items()}}


def layer_macs(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> float:
    """Dense multiply-accumulates of one call of a counted layer (see the module docstring)."""
    if isinstance(module, CONVS):
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        return float(out.numel() * per_output)
    if isinstance(module, TRANSPOSED):  # every input element is scattered to k·C_out/g outputs
        per_input = module.out_channels // module.groups * math.prod(module.kernel_size)
        return float(inp.numel() * per_input)
    return float(out.numel() * module.in_features)


def is_spike_tensor(x: torch.Tensor) -> bool:
    """True when every element is a non-negative integer (binary or multi-level spikes)."""
    return bool(((x >= 0) & (x == torch.round(x))).all())


@contextmanager
def _hooks(model: nn.Module | None, record: Callable[[str, nn.Module, torch.Tensor, torch.Tensor], None]
           ) -> Iterator[None]:
    if model is not None:
        handles = []
        for name, module in model.named_modules():
            if isinstance(module, COUNTED):
                handles.append(module.register_forward_hook(
                    lambda m, args, out, name=name: record(name, m, args[0], out)))
        try:
            yield
        finally:
            for h in handles:
                h.remove()
        return
    names: dict[int, str] = {}

    def global_hook(m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
        if isinstance(m, COUNTED) and args and isinstance(args[0], torch.Tensor):
            name = names.setdefault(id(m), f"{len(names)}:{type(m).__name__}")
            record(name, m, args[0], out)

    handle = nn.modules.module.register_module_forward_hook(global_hook)
    try:
        yield
    finally:
        handle.remove()


def count_operations(model: nn.Module | None, run: Callable[[], Any], images: int = 1) -> OpCount:
    """Run ``run()`` (a forward pass over ``images`` inputs) without gradients and count its
    operations per input. Layers called several times (a codec shared by two views, decoding
    step by step) add up. ``model=None``: count every layer that runs (named ``<k>:<Class>`` in
    call order), e.g. when ``run`` is an opaque inference function."""
    counts = OpCount()

    def record(name: str, module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> None:
        macs = layer_macs(module, inp, out) / images
        layer = counts.layers.setdefault(name, LayerOps(name))
        total = float(inp.detach().float().sum())
        layer.calls += 1
        layer.macs += macs
        layer._input_sum += total
        layer._input_numel += inp.numel()
        layer.input_rate = layer._input_sum / max(1.0, layer._input_numel)
        fan_out = macs / max(1, inp.numel())
        if is_spike_tensor(inp):
            layer.spike_input = True
            layer.spike_macs += macs
            layer.synops += total * fan_out  # spike count × mean fan-out
        else:
            layer.nonzero_macs += float(torch.count_nonzero(inp)) * fan_out

    with _hooks(model, record), torch.no_grad():
        run()
    return counts


def format_operations(summary: dict[str, Any]) -> str:
    """One line: ``dense MACs, real MACs + SynOps, energy dense vs spiking`` of a :meth:`OpCount.summary`."""
    def si(v: float) -> str:
        for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
            if abs(v) >= scale:
                return f"{v / scale:.2f} {unit}"
        return f"{v:.0f}"

    def joules(v: float) -> str:
        for unit, scale in (("mJ", 1e-3), ("µJ", 1e-6), ("nJ", 1e-9)):
            if abs(v) >= scale:
                return f"{v / scale:.3g} {unit}"
        return f"{v * 1e12:.3g} pJ"

    return (f"{si(summary['dense_macs'])}MAC dense; {si(summary['real_macs'])}MAC real "
            f"({si(summary['nonzero_macs'])}MAC on non-zero inputs) + {si(summary['synops'])}SynOps; energy "
            f"{joules(summary['energy_spiking_j'])} ({joules(summary['energy_zero_skip_j'])} zeros skipped) "
            f"vs {joules(summary['energy_dense_j'])} dense ({summary['e_mac_pj']:g} pJ/MAC, "
            f"{summary['e_ac_pj']:g} pJ/AC, Horowitz 2014)")


def operations_table(rows: Mapping[str, Mapping[str, Any]], unit: str = "inference") -> str:
    """Markdown table of :meth:`OpCount.summary` rows ``{method: summary}``: MACs (dense, real),
    SynOps and the energy estimate per ``unit`` in µJ."""
    lines = [f"| method | dense MACs / {unit} | real MACs (non-zero) | SynOps | energy (µJ) "
             "| zeros skipped (µJ) | dense energy (µJ) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['dense_macs'] / 1e6:.2f} M | {r['real_macs'] / 1e6:.2f} M "
                     f"({r['nonzero_macs'] / 1e6:.2f} M) | {r['synops'] / 1e6:.2f} M | "
                     f"{r['energy_spiking_j'] * 1e6:.3f} | {r['energy_zero_skip_j'] * 1e6:.3f} | "
                     f"{r['energy_dense_j'] * 1e6:.3f} |")
    return "\n".join(lines + ["", f"Energy: {ENERGY_SOURCE}; arithmetic only (no memory access)."]) + "\n"
