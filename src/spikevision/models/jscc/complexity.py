"""Operation counts of a JSCC network: multiply-accumulates (MACs) and synaptic operations.

For every convolution / transposed convolution / linear layer, a forward hook records

- ``macs``: the dense multiply-accumulates per image of one evaluation of the layer (summed
  over the time steps the SNN folds into its batch);
- ``spike_input``: whether its input consisted of spikes (non-negative integers: 0/1, or
  spike counts of a multi-level neuron);
- ``synops``: for spike inputs, the accumulate operations actually triggered, i.e. the dense
  MACs × the mean input value (each spike of count c costs c accumulates of its fan-out);
  for real inputs the MACs themselves.

A CNN's cost is its MACs; an SNN's is its real-input MACs plus its spike-driven synops (the
common comparison of energy estimates counts an accumulate as ≈ 1/5 of a MAC on 45 nm
hardware, Horowitz 2014; we report the counts, not energies). Cross-checked against
``torch.utils.flop_counter`` in the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

COUNTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


@dataclass
class LayerOps:
    name: str
    macs: float = 0.0
    synops: float = 0.0
    spike_input: bool = False
    input_rate: float = 0.0


@dataclass
class OpCount:
    """Per-layer counts (per image) and their totals."""

    layers: dict[str, LayerOps] = field(default_factory=dict)

    @property
    def dense_macs(self) -> float:
        """MACs of the same layers if every input were dense (the CNN-equivalent cost)."""
        return sum(layer.macs for layer in self.layers.values())

    @property
    def real_macs(self) -> float:
        """MACs of the layers with real-valued input."""
        return sum(layer.macs for layer in self.layers.values() if not layer.spike_input)

    @property
    def synops(self) -> float:
        """Accumulates triggered by spikes."""
        return sum(layer.synops for layer in self.layers.values() if layer.spike_input)

    def as_dict(self) -> dict[str, Any]:
        return {"dense_macs": self.dense_macs, "real_macs": self.real_macs, "synops": self.synops,
                "layers": {k: vars(v) for k, v in self.layers.items()}}


def _layer_macs(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> float:
    if isinstance(module, nn.Conv2d):
        per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        return float(out.numel() * per_output)
    if isinstance(module, nn.ConvTranspose2d):  # every input element is scattered to k·k·C_out/g
        per_input = module.out_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        return float(inp.numel() * per_input)
    return float(out.numel() * module.in_features)


def is_spike_tensor(x: torch.Tensor) -> bool:
    """True when every element is a non-negative integer (binary or multi-level spikes)."""
    return bool(((x >= 0) & (x == torch.round(x))).all())


def count_operations(model: nn.Module, run: Callable[[], Any], images: int) -> OpCount:
    """Run ``run()`` (a forward pass of ``model`` on ``images`` images) and count its operations.

    Layers called several times (e.g. a codec shared by both views) add up; divide by the
    number of images the forward pass processed, which ``images`` gives.
    """
    counts = OpCount()
    handles = []

    def hook(name: str) -> Callable[..., None]:
        def record(module: nn.Module, args: tuple[Any, ...], out: torch.Tensor) -> None:
            inp = args[0]
            macs = _layer_macs(module, inp, out) / images
            spikes = is_spike_tensor(inp)
            rate = float(inp.float().mean())
            layer = counts.layers.setdefault(name, LayerOps(name))
            layer.macs += macs
            layer.spike_input = spikes
            layer.input_rate = rate
            layer.synops += macs * rate if spikes else macs
        return record

    for name, module in model.named_modules():
        if isinstance(module, COUNTED):
            handles.append(module.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            run()
    finally:
        for h in handles:
            h.remove()
    return counts
