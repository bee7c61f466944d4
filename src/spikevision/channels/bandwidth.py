"""Bandwidth ratio of a JSCC code: complex channel uses per source dimension.

``rho = k / n`` with ``k`` complex channel uses per image (= real latent elements / 2, see the
pairing convention of :mod:`spikevision.channels.power`) and ``n = channels * height * width``
source dimensions (pixel values) per image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from spikevision.channels.power import Channel
from spikevision.errors import ChannelError

__all__ = ["bandwidth_ratio", "format_ratio", "measure_channel_uses"]


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ChannelError(f"{name}: expected a positive int, got {value!r}")
    return value


def bandwidth_ratio(num_real_symbols: int, height: int, width: int, channels: int = 3) -> float:
    """``rho = (num_real_symbols / 2) / (channels * height * width)`` for one image.

    ``num_real_symbols`` is the number of real latent elements sent per image (must be even).
    """
    _positive_int(num_real_symbols, "num_real_symbols")
    if num_real_symbols % 2:
        raise ChannelError(
            f"num_real_symbols: expected an even count (pairs form complex symbols), "
            f"got {num_real_symbols}"
        )
    n = (
        _positive_int(channels, "channels")
        * _positive_int(height, "height")
        * _positive_int(width, "width")
    )
    return (num_real_symbols / 2) / n


def measure_channel_uses(model: nn.Module, run: Callable[[], Any]) -> list[int]:
    """Complex symbols per sample carried by each :class:`Channel` call made during ``run()``.

    Registers a forward pre-hook on every ``Channel`` in ``model`` (itself included), calls
    ``run()`` under ``torch.no_grad()`` and returns one entry per channel call, in call order.
    The hooks are removed afterwards, even if ``run()`` raises.
    """
    channels = [m for m in model.modules() if isinstance(m, Channel)]
    if not channels:
        raise ChannelError(
            f"model: expected a module containing at least one spikevision Channel, "
            f"found none in {type(model).__name__}"
        )
    uses: list[int] = []

    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        x = args[0] if args else kwargs["x"]
        uses.append(x[0].numel() // 2)

    handles = [m.register_forward_pre_hook(hook, with_kwargs=True) for m in channels]
    try:
        with torch.no_grad():
            run()
    finally:
        for handle in handles:
            handle.remove()
    return uses


def format_ratio(rho: float) -> str:
    """``"1/k"`` if ``rho`` is within 1 % of ``1/k`` for an integer ``k >= 2`` (``"1"`` for k = 1),
    else 3 significant digits, e.g. ``"0.0651"``."""
    rho = float(rho)
    if not math.isfinite(rho) or rho <= 0:
        raise ChannelError(f"rho: expected a positive finite bandwidth ratio, got {rho}")
    k = round(1.0 / rho)
    if k >= 1 and abs(rho * k - 1.0) <= 0.01:
        return "1" if k == 1 else f"1/{k}"
    return f"{rho:.3g}"
