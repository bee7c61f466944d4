"""On-disk cache of parsed recordings and representations, keyed by file identity and parameters.

A key combines the source file's absolute path, size and modification time with the
representation's ``cache_key``; a changed file or changed parameters give a new entry. Entries
are written atomically (temporary file + ``os.replace``) so concurrent dataloader workers or DDP
ranks never read a half-written array.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np


def default_cache_root() -> Path:
    """``$SPIKEVISION_CACHE`` or ``~/.cache/spikevision``."""
    return Path(os.environ.get("SPIKEVISION_CACHE") or Path.home() / ".cache" / "spikevision")


class ArrayCache:
    """Cache of numpy arrays under ``root``; ``root=None`` disables caching."""

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root) if root is not None else None
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key_for(source: str | Path, params_key: str) -> str:
        source = Path(source)
        try:
            stat = source.stat()
            ident = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        except OSError:
            ident = str(source)
        return hashlib.sha1(f"{ident}|{params_key}".encode()).hexdigest()

    def get_or_compute(self, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Return the cached array for ``key``; compute and store it on a miss."""
        if self.root is None:
            return compute()
        path = self.root / key[:2] / f"{key}.npy"
        if path.is_file():
            try:
                arr = np.load(path, allow_pickle=False)
                self.hits += 1
                return arr
            except (ValueError, OSError, EOFError):
                path.unlink(missing_ok=True)  # corrupt entry: recompute
        self.misses += 1
        arr = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, arr, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return arr
