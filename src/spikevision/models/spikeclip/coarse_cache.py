"""Memo of a frozen network's outputs per dataset item, for stages that keep stage 1 frozen.

The spiking stage-1 network dominates the cost of stage 2 and of the refiner stage, yet its
outputs never change there (frozen, deterministic). Keyed by (split, ``batch['index']``); the
outputs are stored on the CPU. Disable for datasets whose outputs do not fit in memory.
"""

from __future__ import annotations

import torch
from torch import nn


class CoarseOutputs:
    """``outputs(x, index, split)`` = ``net(x)``, computed once per (split, index)."""

    def __init__(self, net: nn.Module, enabled: bool = True) -> None:
        self.net, self.enabled = net, enabled
        self.store: dict[tuple[str, int], torch.Tensor] = {}

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, index: torch.Tensor | None = None, split: str = "") -> torch.Tensor:
        self.net.eval()
        if not self.enabled or index is None:
            return self.net(x)
        keys = [(split, int(i)) for i in index]
        missing = [j for j, k in enumerate(keys) if k not in self.store]
        if missing:
            out = self.net(x[missing]).cpu()
            for j, o in zip(missing, out):
                self.store[keys[j]] = o
        return torch.stack([self.store[k] for k in keys]).to(x.device)
