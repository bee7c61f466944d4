"""Per-layer firing rates of a spiking network, recorded with spikingjelly's ``OutputMonitor``."""

from __future__ import annotations

import torch
from spikingjelly.activation_based import monitor
from torch import nn

from spikevision.models.jscc.layers import SpikingActivation


def mean_output(spikes: torch.Tensor) -> torch.Tensor:
    """Mean spike value of one layer call (firing rate; mean count for multi-level spikes)."""
    return spikes.detach().float().mean()


class FiringRateMonitor:
    """Firing rate of every :class:`SpikingActivation` of ``net``, averaged over the calls since
    the last :meth:`reset` (equal weight per call). Disabled until :meth:`enable`."""

    def __init__(self, net: nn.Module) -> None:
        self.monitor = monitor.OutputMonitor(net, SpikingActivation, mean_output)
        self.monitor.disable()

    @property
    def layers(self) -> list[str]:
        return list(self.monitor.monitored_layers)

    def enable(self) -> None:
        self.monitor.enable()

    def disable(self) -> None:
        self.monitor.disable()

    def reset(self) -> None:
        self.monitor.clear_recorded_data()

    def rates(self) -> dict[str, float]:
        """``{layer name: mean firing rate}`` for the layers that ran."""
        out = {}
        for name in self.layers:
            values = self.monitor[name]
            if values:
                out[name] = float(torch.stack(values).mean())
        return out
