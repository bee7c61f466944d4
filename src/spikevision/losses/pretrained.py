"""Locating pretrained weights offline: an explicit path, or the torch hub checkpoint cache.

Nothing is downloaded here; a missing file raises :class:`WeightsNotFoundError` at once with
the places searched and where the file is published.
"""

from __future__ import annotations

from pathlib import Path

import torch

from spikevision.errors import SpikevisionError


class WeightsNotFoundError(SpikevisionError, FileNotFoundError):
    """Pretrained weights are neither at the configured path nor in the local cache."""


def find_weights(what: str, path: str | Path | None, cache_name: str, url: str) -> Path:
    """``path`` if given (must exist), else ``<torch hub dir>/checkpoints/<cache_name>``."""
    if path:
        p = Path(path).expanduser()
        if p.is_file():
            return p
        raise WeightsNotFoundError(f"{what} weights not found at '{p}' (configured path)."
                                   f" Download {url} and point the config there.")
    cached = Path(torch.hub.get_dir()) / "checkpoints" / cache_name
    if cached.is_file():
        return cached
    raise WeightsNotFoundError(
        f"{what} weights are not available offline: no path configured and '{cached}' does not exist."
        f" Download {url} to that file (or set the weights path in the config)."
    )
