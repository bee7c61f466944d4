"""Noisy channels for deep joint source-channel coding (JSCC), plus bandwidth and baseline tools.

Conventions (details in :mod:`spikevision.channels.power`): a real ``[B, ...]`` input is paired
per sample in C order into complex symbols (element ``2k`` real, ``2k + 1`` imaginary part of
symbol ``k``), each sample is normalised to unit mean power per complex symbol, and
``snr_db`` (float or ``[B]`` tensor, ``inf`` = noiseless) sets the complex noise variance
``sigma^2 = 10 ** (-snr_db / 10)``. Outputs have the input's shape, in the normalised domain
unless ``rescale_output=True``.
"""

from __future__ import annotations

from typing import Any

from spikevision.channels.awgn import AWGNChannel
from spikevision.channels.bandwidth import bandwidth_ratio, format_ratio, measure_channel_uses
from spikevision.channels.fading import RayleighBlockFadingChannel
from spikevision.channels.power import (
    POWER_EPS,
    Channel,
    normalize_power,
    sample_snr_db,
    to_symbols,
)
from spikevision.channels.separation import capacity_bits, encode_at_budget, separation_psnr
from spikevision.errors import ChannelError

__all__ = [
    "CHANNEL_KINDS",
    "POWER_EPS",
    "AWGNChannel",
    "Channel",
    "RayleighBlockFadingChannel",
    "bandwidth_ratio",
    "capacity_bits",
    "encode_at_budget",
    "format_ratio",
    "make_channel",
    "measure_channel_uses",
    "normalize_power",
    "sample_snr_db",
    "separation_psnr",
    "to_symbols",
]

#: Channel kinds accepted by :func:`make_channel`.
CHANNEL_KINDS: dict[str, type[Channel]] = {
    AWGNChannel.kind: AWGNChannel,
    RayleighBlockFadingChannel.kind: RayleighBlockFadingChannel,
}


def make_channel(kind: str, **params: Any) -> Channel:
    """Build a channel by kind name (``"awgn"`` or ``"rayleigh"``) with its keyword params."""
    if kind not in CHANNEL_KINDS:
        raise ChannelError(
            f"kind: unknown channel kind {kind!r}; expected one of {sorted(CHANNEL_KINDS)}"
        )
    cls = CHANNEL_KINDS[kind]
    try:
        return cls(**params)
    except TypeError as err:
        raise ChannelError(
            f"params: invalid parameters {sorted(params)} for {kind!r}: {err}"
        ) from err
