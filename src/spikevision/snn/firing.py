"""Per-layer firing rates of any spiking network, with forward hooks present only while recording.

A *spiking layer* is the outermost module of a spiking type (:func:`spiking_module_types`):
spikingjelly's ``BaseNode`` (every LIF / IF / I-LIF neuron :mod:`spikevision.snn.neurons` builds,
used by the reconstruction U-Net, the VQ-VAE encoder/decoder and the spiking GPT, also inside
``LIFNonlinearity`` as ``<name>.lif``) and the stereo JSCC's ``SpikingActivation`` (a neuron
applied to folded ``[T·B, ...]`` tensors; its inner neuron is not monitored separately, since
on CPU it steps the neuron's ``single_step_forward`` without calling the module).

The firing rate of a layer is its mean output per neuron and time step (spikes per step; the
mean spike count for multi-level I-LIF neurons), averaged over the forward calls since
:meth:`FiringRateMonitor.reset` with equal weight per call. :meth:`FiringRateMonitor.enable`
registers one forward hook per layer and :meth:`~FiringRateMonitor.disable` removes them, so a
disabled monitor costs nothing in the forward pass (training steps run without hooks).
"""

from __future__ import annotations

from types import TracebackType

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def spiking_module_types() -> tuple[type[nn.Module], ...]:
    """The module types whose outputs are spikes: JSCC's ``SpikingActivation`` and spikingjelly's
    ``BaseNode`` (LIF, IF, I-LIF and any other spikingjelly neuron)."""
    from spikingjelly.activation_based.neuron import BaseNode

    from spikevision.models.jscc.layers import SpikingActivation  # imported here: models import snn

    return (SpikingActivation, BaseNode)


def spiking_layers(net: nn.Module, types: tuple[type[nn.Module], ...] | None = None) -> list[tuple[str, nn.Module]]:
    """``[(qualified name, module)]`` of the outermost spiking modules of ``net`` (a spiking module
    inside another one, e.g. the neuron of a ``SpikingActivation``, is covered by its parent)."""
    types = types or spiking_module_types()
    if isinstance(net, types):
        return [(type(net).__name__, net)]
    found: list[tuple[str, nn.Module]] = []
    for name, module in net.named_modules():
        if isinstance(module, types) and not any(name.startswith(f"{outer}.") for outer, _ in found):
            found.append((name, module))
    return found


def mean_output(spikes: torch.Tensor) -> torch.Tensor:
    """Mean spike value of one layer call (firing rate; mean count for multi-level spikes)."""
    return spikes.detach().float().mean()


class FiringRateMonitor:
    """Firing rate of every spiking layer of ``net`` (see the module docstring); disabled (no
    hooks) until :meth:`enable`. Usable as a context manager (enabled inside)."""

    def __init__(self, net: nn.Module, types: tuple[type[nn.Module], ...] | None = None) -> None:
        self._layers = spiking_layers(net, types)
        self._handles: list[RemovableHandle] = []
        self._sums: dict[str, torch.Tensor] = {}
        self._calls: dict[str, int] = {}

    @property
    def layers(self) -> list[str]:
        """Names of the monitored layers, in module order."""
        return [name for name, _ in self._layers]

    @property
    def enabled(self) -> bool:
        return bool(self._handles)

    def _hook(self, name: str):
        def record(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            out = output[0] if isinstance(output, tuple) else output
            rate = mean_output(out)  # stays on the device: no synchronisation per call
            self._sums[name] = self._sums[name] + rate if name in self._sums else rate
            self._calls[name] = self._calls.get(name, 0) + 1
        return record

    def enable(self) -> None:
        """Register the hooks (idempotent)."""
        if not self._handles:
            self._handles = [module.register_forward_hook(self._hook(name)) for name, module in self._layers]

    def disable(self) -> None:
        """Remove the hooks; the recorded rates are kept until :meth:`reset`."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def reset(self) -> None:
        self._sums.clear()
        self._calls.clear()

    def rates(self) -> dict[str, float]:
        """``{layer name: mean firing rate}`` for the layers that ran, in module order."""
        return {name: float(self._sums[name]) / self._calls[name] for name in self.layers if name in self._calls}

    def __enter__(self) -> FiringRateMonitor:
        self.enable()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.disable()


def hooked_layers(net: nn.Module) -> list[str]:
    """Names of the spiking layers of ``net`` that currently carry a forward hook (tests, checks)."""
    return [name for name, module in spiking_layers(net) if module._forward_hooks]
