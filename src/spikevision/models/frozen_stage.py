"""The one base of every stage trained on top of a frozen earlier stage (SpikeCLIP stages 2 and 3,
the generation prior): register the earlier network with :meth:`FrozenStage.freeze_stage` and it
stays frozen — no gradients, and eval mode even when Lightning calls ``train()`` (BatchNorm
statistics and dropout of the earlier stage never change). A mixin listed before the
LightningModule base: ``class M(FrozenStage, pl.LightningModule)``."""

from __future__ import annotations

from torch import nn


class FrozenStage:
    _frozen_stages: tuple[str, ...] = ()

    def freeze_stage(self, name: str, net: nn.Module) -> nn.Module:
        """Freeze ``net`` and register it as ``self.<name>``; returns it."""
        net = net.eval().requires_grad_(False)
        setattr(self, name, net)
        self._frozen_stages = (*self._frozen_stages, name)
        return net

    def train(self, mode: bool = True):
        super().train(mode)  # type: ignore[misc]
        for name in self._frozen_stages:
            getattr(self, name).eval()  # frozen: BatchNorm/dropout stay in eval mode
        return self
