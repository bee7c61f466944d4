"""On-disk cache of parsed recordings and representations, keyed by file identity and parameters.

A key combines the source file's absolute path, size and modification time with the
representation's ``cache_key``; a changed file or changed parameters give a new entry. Entries
are written atomically (temporary file + ``os.replace``) so concurrent dataloader workers or DDP
ranks never read a half-written array.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from spikevision.atomic_write import atomic_directory, atomic_path


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
        # no fsync: a cache entry lost to a power cut reads back as corrupt and is recomputed
        with atomic_path(path, fsync=False) as tmp, open(tmp, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        return arr


GENERATED_DATA_FILE = "data.npz"
GENERATED_META_FILE = "meta.json"


def generated_is_complete(path: Path) -> bool:
    """Whether a generated dataset directory holds both its arrays and its metadata."""
    return (path / GENERATED_DATA_FILE).is_file() and (path / GENERATED_META_FILE).is_file()


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Exclusive lock on ``.<target name>.lock`` next to ``target`` (POSIX flock; a no-op where
    fcntl is missing), so concurrent processes build a generated dataset once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(target.parent / f".{target.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_generated(target: Path, generate: Callable[[], tuple[dict[str, np.ndarray], dict[str, Any]]],
                    overwrite: bool = False) -> Path:
    """Build a generated dataset into ``target`` unless it is already complete.

    ``generate()`` returns (arrays, metadata); the arrays go to ``data.npz``, the metadata (plus
    ``build_seconds``) to ``meta.json``. Both are written into a temporary directory next to the
    target and renamed into place under :func:`build_lock`, so no process ever sees a
    half-written dataset and a failure leaves nothing behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(target):
        if generated_is_complete(target) and not overwrite:
            return target
        with atomic_directory(target) as tmp:  # replaces an overwritten or incomplete leftover
            start = time.perf_counter()
            arrays, meta = generate()
            np.savez(tmp / GENERATED_DATA_FILE, **arrays)
            meta = {**meta, "build_seconds": round(time.perf_counter() - start, 3)}
            (tmp / GENERATED_META_FILE).write_text(json.dumps(meta, indent=2))
    return target
