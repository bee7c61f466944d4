"""Offline handling for pretrained weights: fast reachability probe and one clear error type.

Libraries that download weights on first use (open_clip, pyiqa, torchvision via lpips) retry for
tens of seconds when there is no network. spikevision looks for the file locally first and, when
it is absent and the host is unreachable, raises :class:`WeightsUnavailableError` at once with
the file name and the place to put it.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from spikevision.errors import SpikevisionError

OFFLINE_ENV = "SPIKEVISION_OFFLINE"


class WeightsUnavailableError(SpikevisionError, FileNotFoundError):
    """Pretrained weights are neither on disk nor downloadable (offline)."""


def network_reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``host:port`` opens within ``timeout`` seconds.

    DNS resolution runs in a daemon thread so a hanging resolver cannot exceed the timeout.
    ``SPIKEVISION_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``) skips the probe and returns False.
    """
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0") or os.environ.get("HF_HUB_OFFLINE", "") in ("1", "true"):
        return False
    ok: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                ok.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(ok)


def torch_hub_dir() -> Path:
    """``torch.hub.get_dir()`` (``$TORCH_HOME/hub``, default ``~/.cache/torch/hub``)."""
    import torch

    return Path(torch.hub.get_dir())
