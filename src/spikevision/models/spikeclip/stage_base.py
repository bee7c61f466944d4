"""Base classes of the SpikeCLIP stages (template methods, in the manner of spikingjelly's
``MemoryModule``/``BaseNode``: the base class runs the procedure, subclasses fill in hooks).

- :class:`ExportingStage`: at the end of fitting, write the stage's export (``export_path``) from
  the **best** checkpoint by the stage's ``monitor`` (the final weights when there is no
  validation; a log line says which). Hook: ``export(path)``.
- :class:`FrozenPreviousStage` (a :class:`~spikevision.models.frozen_stage.FrozenStage`, the base
  the generation prior shares): a stage trained on top of a frozen previous stage, loaded
  through :mod:`spikevision.stages` (:func:`~spikevision.models.spikeclip.artifacts.load_export`).
  :meth:`~FrozenPreviousStage.freeze_previous_stage` builds the network (hook
  :meth:`~FrozenPreviousStage.build_previous`, default: the stage-1 ``recon`` network), freezes it
  (``requires_grad=False``, eval mode, kept in eval mode by ``train()``), checks that it shares
  this stage's CLIP and memoises its outputs per item (:class:`CoarseOutputs`).

Both are mixins listed before the LightningModule base: ``class M(FrozenPreviousStage, pl.LightningModule)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import nn

from spikevision.models.frozen_stage import FrozenStage
from spikevision.models.spikeclip.artifacts import load_export
from spikevision.models.spikeclip.coarse_cache import CoarseOutputs
from spikevision.models.spikeclip.guidance import check_same_clip
from spikevision.stages import best_weights


class ExportingStage:
    """Writes ``self.export(self.export_path)`` at the end of fitting (rank 0), with the weights
    of the best checkpoint by ``monitor`` loaded for the export (:func:`spikevision.stages.best_weights`)."""

    export_path: str | None = None

    def export(self, path: str | Path) -> Path:  # hook
        raise NotImplementedError

    def on_fit_end(self) -> None:
        if self.export_path and self.trainer.is_global_zero:
            with best_weights(self):
                self.export(self.export_path)


class FrozenPreviousStage(FrozenStage, ExportingStage):
    """A stage on top of a frozen previous stage; see the module docstring.

    Subclasses call ``export = self.load_previous_stage(ref)`` (also before ``__init__`` of the
    LightningModule: it is a class method) and, once the module exists,
    ``self.freeze_previous_stage(export, name, ...)``, which sets ``self.<name>`` (the frozen
    network) and ``self.<name>_outputs`` (its memoised outputs).
    """

    previous_kind: str | tuple[str, ...] = "recon"

    @classmethod
    def load_previous_stage(cls, ref: str | Path) -> dict[str, Any]:
        """The previous stage's export (a path or glob; format and kind checked)."""
        return load_export(ref, cls.previous_kind)

    def build_previous(self, export: Mapping[str, Any]) -> nn.Module:  # hook
        """The previous stage's network from its export (default: the stage-1 reconstruction)."""
        from spikevision.models.spikeclip.stage1_recon import load_recon

        return load_recon(export)

    def freeze_previous_stage(self, export: Mapping[str, Any], name: str = "coarse", cache: bool = True,
                              clip: Mapping[str, Any] | None = None, where: str | Path = "") -> nn.Module:
        """Build, freeze and register the previous stage as ``self.<name>``; checks its CLIP
        against ``clip`` (this stage's) when given."""
        if clip is not None:
            check_same_clip(export["clip"], clip, str(where))
        net = self.freeze_stage(name, self.build_previous(export))
        setattr(self, f"{name}_outputs", CoarseOutputs(net, cache))
        return net
