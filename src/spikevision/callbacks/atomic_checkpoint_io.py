"""Checkpoint IO that never leaves a half-written ``.ckpt``: write a temp file, then rename.

Lightning's ``TorchCheckpointIO`` writes straight to the destination, so a crash or pre-emption
during ``last.ckpt`` corrupts the only resumable checkpoint. ``os.replace`` is atomic on POSIX
(:func:`spikevision.atomic_write.atomic_path`). A checkpoint whose weights are not finite never
replaces an existing file (it is written next to it as ``<name>.nonfinite.ckpt`` instead, with a
warning), so a run that went NaN cannot destroy its last good state.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.utilities.cloud_io import _atomic_save
from lightning.pytorch.plugins.io import TorchCheckpointIO

from spikevision.atomic_write import atomic_path

log = logging.getLogger(__name__)


def count_nonfinite(state_dict: dict[str, Any]) -> tuple[int, int]:
    """(non-finite floating tensors, floating tensors) of a state dict."""
    tensors = [v for v in state_dict.values() if isinstance(v, torch.Tensor) and v.is_floating_point()]
    return sum(1 for v in tensors if not bool(torch.isfinite(v).all())), len(tensors)


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` with temp-file + ``os.replace`` semantics for local paths."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None) -> None:
        path = Path(path)
        if "://" in str(path):  # remote filesystems: defer to Lightning
            return super().save_checkpoint(checkpoint, path, storage_options)
        bad, total = count_nonfinite(checkpoint.get("state_dict") or {})
        if bad and path.exists():
            aside = path.with_name(f"{path.stem}.nonfinite{path.suffix}")
            log.warning("%s not replaced: %d of %d weight tensors are NaN/inf; kept the previous file and wrote "
                        "this state to %s", path, bad, total, aside)
            path = aside
        with atomic_path(path) as tmp:
            _atomic_save(checkpoint, tmp)
