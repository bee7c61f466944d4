"""Shared channel steps: real→complex pairing, per-sample power normalisation, SNR handling.

Conventions used by every channel of :mod:`spikevision.channels`:

* **Pairing.** The input ``x`` is a real tensor ``[B, ...]``. Per sample, its elements are
  flattened in C order and consecutive pairs form one complex symbol: element ``2k`` is the
  real part and element ``2k + 1`` the imaginary part of symbol ``k``. A sample with an odd
  number of elements is rejected with :class:`~spikevision.errors.ChannelError`. Internally the
  symbols are kept as a real tensor ``[B, S, 2]`` (last axis: real, imaginary), so autograd
  works in every dtype; the channel output has the same shape as ``x``.
* **Power.** Each sample is normalised to unit average power per complex symbol:
  ``mean_k |z_k|^2 = 1`` (equivalently ``mean(x**2) = 1/2`` over its real elements). The
  per-sample scale is ``sqrt(max(P, eps))`` with ``P = mean_k |z_k|^2`` and ``eps = 1e-12``
  (:data:`POWER_EPS`), so the normalisation is exact whenever ``P > eps`` and an all-zero sample
  stays all-zero instead of becoming NaN.
* **SNR.** ``snr_db`` is the ratio (in dB) of the average received signal power per complex
  symbol (1 after normalisation; ``E|h|^2 = 1`` for fading) to the noise power ``sigma^2``:
  ``sigma^2 = 10 ** (-snr_db / 10)``, i.e. complex noise ``CN(0, sigma^2)`` with ``sigma^2 / 2``
  per real part. ``snr_db = inf`` means noiseless. ``snr_db`` may be a float or a ``[B]``
  tensor of per-sample SNRs.
* **Output scale.** With ``rescale_output=False`` (default) a channel returns the received
  symbols in the normalised domain (unit signal power). With ``rescale_output=True`` the output
  is multiplied back by the input's per-sample scale, so it has the input's power.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from spikevision.errors import ChannelError

__all__ = [
    "POWER_EPS",
    "Channel",
    "complex_gaussian",
    "from_symbols",
    "noise_variance",
    "normalize_power",
    "sample_snr_db",
    "to_symbols",
]

#: Floor on the per-sample mean symbol power in the normalisation denominator.
POWER_EPS = 1e-12


def to_symbols(x: Tensor) -> Tensor:
    """Pair a real ``[B, ...]`` tensor into symbols ``[B, S, 2]`` (real, imag), C order.

    Raises :class:`ChannelError` if ``x`` is not a real floating tensor with a batch axis or if
    a sample has an odd number of elements.
    """
    if not isinstance(x, Tensor):
        raise ChannelError(f"x: expected a torch.Tensor of shape [B, ...], got {type(x).__name__}")
    if not x.is_floating_point():
        raise ChannelError(f"x: expected a real floating-point tensor, got dtype {x.dtype}")
    if x.dim() < 1 or x.shape[0] == 0:
        raise ChannelError(f"x: expected shape [B, ...] with B >= 1, got {tuple(x.shape)}")
    per_sample = x[0].numel()
    if per_sample == 0 or per_sample % 2:
        raise ChannelError(
            f"x: each sample must hold an even, non-zero number of real elements (pairs form "
            f"complex symbols), got {per_sample} elements per sample for shape {tuple(x.shape)}"
        )
    return x.reshape(x.shape[0], per_sample // 2, 2)


def from_symbols(s: Tensor, shape: torch.Size | tuple[int, ...]) -> Tensor:
    """Inverse of :func:`to_symbols`: symbols ``[B, S, 2]`` back to a real tensor of ``shape``."""
    return s.reshape(shape)


def normalize_power(s: Tensor, eps: float = POWER_EPS) -> tuple[Tensor, Tensor]:
    """Scale each sample of symbols ``[B, S, 2]`` to unit mean power per complex symbol.

    Returns ``(s / scale, scale)`` with ``scale = sqrt(max(mean_k |z_k|^2, eps))`` of shape
    ``[B]``; the floor ``eps`` only matters for (near) all-zero samples.
    """
    power = s.square().sum(dim=-1).mean(dim=-1)
    scale = power.clamp_min(eps).sqrt()
    return s / scale[:, None, None], scale


def _check_snr_value(value: float, name: str = "snr_db") -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ChannelError(
            f"{name}: expected a float (dB) or a [B] tensor, got {type(value).__name__}"
        ) from None
    if math.isnan(value) or value == -math.inf:
        raise ChannelError(f"{name}: expected a finite SNR in dB or +inf (noiseless), got {value}")
    return value


def noise_variance(
    snr_db: float | Tensor, batch_size: int, device: torch.device | str, dtype: torch.dtype
) -> Tensor:
    """Per-sample complex noise variance ``sigma^2 = 10 ** (-snr_db / 10)`` as a ``[B]`` tensor.

    ``snr_db`` is a float, a 0-d tensor or a ``[B]`` tensor (dB); ``+inf`` gives ``sigma^2 = 0``.
    """
    if isinstance(snr_db, Tensor):
        if snr_db.dim() == 0:
            snr = snr_db.reshape(1).expand(batch_size)
        elif snr_db.shape == (batch_size,):
            snr = snr_db
        else:
            raise ChannelError(
                f"snr_db: a tensor SNR must have shape [B] = [{batch_size}] (one value per "
                f"sample) or be 0-d, got shape {tuple(snr_db.shape)}"
            )
        snr = snr.to(device=device, dtype=dtype)
        if bool(torch.isnan(snr).any()) or bool((snr == -math.inf).any()):
            raise ChannelError("snr_db: expected finite SNRs in dB or +inf, got NaN or -inf")
    else:
        value = _check_snr_value(snr_db)
        snr = torch.full((batch_size,), value, device=device, dtype=dtype)
    return torch.pow(10.0, -snr / 10.0)


def complex_gaussian(
    shape: tuple[int, ...],
    variance: Tensor | float,
    *,
    generator: torch.Generator | None,
    device: torch.device | str,
    dtype: torch.dtype,
) -> Tensor:
    """Samples of ``CN(0, variance)`` as a real tensor ``[*shape, 2]`` (``variance / 2`` per part).

    ``variance`` is a float or a ``[shape[0]]`` tensor (one variance per sample). The draw
    happens on the generator's device (if given) and is moved to ``device``.
    """
    draw_device = generator.device if generator is not None else device
    g = torch.randn((*shape, 2), generator=generator, device=draw_device, dtype=dtype)
    g = g.to(device)
    if isinstance(variance, Tensor):
        std = (variance / 2).sqrt().reshape(-1, *([1] * len(shape)))
    else:
        std = math.sqrt(variance / 2)
    return g * std


def sample_snr_db(
    batch_size: int,
    low: float,
    high: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """Per-sample SNRs in dB, drawn uniformly in ``[low, high]`` (dB); a ``[batch_size]`` tensor."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ChannelError(f"batch_size: expected a positive int, got {batch_size!r}")
    low = _check_snr_value(low, "low")
    high = _check_snr_value(high, "high")
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ChannelError(
            f"low, high: expected finite dB values with low <= high, got low={low}, high={high}"
        )
    draw_device = generator.device if generator is not None else (device or "cpu")
    u = torch.rand(batch_size, generator=generator, device=draw_device)
    return (low + (high - low) * u).to(device or draw_device)


class Channel(nn.Module):
    """Base class of the noisy channels: pairing, power normalisation, SNR resolution.

    Subclasses set :attr:`kind` and implement :meth:`_transmit`, which maps normalised symbols
    ``[B, S, 2]`` and a ``[B]`` noise variance to received symbols ``[B, S, 2]`` and an optional
    ``[B]`` side output. See the module docstring for the conventions.
    """

    kind: str = "channel"

    def __init__(self, snr_db: float = 5.0, rescale_output: bool = False) -> None:
        super().__init__()
        self.snr_db = _check_snr_value(snr_db)
        self.rescale_output = bool(rescale_output)

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, snr_db={self.snr_db}, rescale_output={self.rescale_output}"

    def _transmit(
        self, z: Tensor, noise_var: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError

    def _run(
        self, x: Tensor, snr_db: float | Tensor | None, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor | None]:
        """Pair, normalise, transmit, optionally rescale and unpair; returns ``(y, side)``."""
        s = to_symbols(x)
        z, scale = normalize_power(s)
        snr = self.snr_db if snr_db is None else snr_db
        noise_var = noise_variance(snr, x.shape[0], x.device, x.dtype)
        y, side = self._transmit(z, noise_var, generator)
        if self.rescale_output:
            y = y * scale[:, None, None]
        return from_symbols(y, x.shape), side

    def forward(self, x: Tensor, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError
