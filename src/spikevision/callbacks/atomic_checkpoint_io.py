"""Checkpoint IO that never leaves a half-written ``.ckpt``: write a temp file, then rename.

Lightning's ``TorchCheckpointIO`` writes straight to the destination, so a crash or pre-emption
during ``last.ckpt`` corrupts the only resumable checkpoint. ``os.replace`` is atomic on POSIX
(:func:`spikevision.atomic_write.atomic_path`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lightning.fabric.utilities.cloud_io import _atomic_save
from lightning.pytorch.plugins.io import TorchCheckpointIO

from spikevision.atomic_write import atomic_path


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` with temp-file + ``os.replace`` semantics for local paths."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None) -> None:
        path = Path(path)
        if "://" in str(path):  # remote filesystems: defer to Lightning
            return super().save_checkpoint(checkpoint, path, storage_options)
        with atomic_path(path) as tmp:
            _atomic_save(checkpoint, tmp)
