"""Checkpoint IO that never leaves a half-written ``.ckpt``: write a temp file, then rename.

Lightning's ``TorchCheckpointIO`` writes straight to the destination, so a crash or pre-emption
during ``last.ckpt`` corrupts the only resumable checkpoint. ``os.replace`` is atomic on POSIX.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from lightning.fabric.utilities.cloud_io import _atomic_save
from lightning.pytorch.plugins.io import TorchCheckpointIO


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` with temp-file + ``os.replace`` semantics for local paths."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None) -> None:
        path = Path(path)
        if "://" in str(path):  # remote filesystems: defer to Lightning
            return super().save_checkpoint(checkpoint, path, storage_options)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            _atomic_save(checkpoint, tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
