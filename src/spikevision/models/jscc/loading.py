"""Load a trained stereo JSCC model from a run directory or a checkpoint file.

A run directory (``logs/<timestamp>_<name>``, or a glob of them) gives its merged config
(``configs/*-project.yaml``) and its best checkpoint by the model's monitor (``best-*.ckpt``,
else ``last.ckpt``). A bare ``.ckpt`` inside a run's ``checkpoints/`` finds the config beside
it. Resolution, config and strict key matching are :mod:`spikevision.stages`'; weights are read
with ``weights_only=True``.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from spikevision.models.jscc.jscc_module import StereoJsccModel
from spikevision.stages import load_trained, resolve_checkpoint, run_config

__all__ = ["load_jscc", "resolve_checkpoint", "run_config"]


def load_jscc(path: str | Path) -> tuple[StereoJsccModel, DictConfig, Path]:
    """(model in eval mode with the checkpoint's weights, the run's config, checkpoint path)."""
    return load_trained(path, prefer="best", expect=StereoJsccModel)
