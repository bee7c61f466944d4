"""Rayleigh block-fading channel: ``y = h * z + n`` with one ``h ~ CN(0, 1)`` per sample.

Input ``x``: real tensor ``[B, ...]`` paired into complex symbols (elements ``2k, 2k + 1`` in C
order are real, imaginary part of symbol ``k``), normalised per sample to ``mean_k |z_k|^2 = 1``.
The gain ``h`` is constant over the whole sample ("block" fading) and ``n ~ CN(0, sigma^2)``
with ``sigma^2 = 10 ** (-snr_db / 10)``: the SNR is defined on the *average* received power,
``E|h|^2 = 1``. With ``csi=True`` the receiver knows ``h`` and equalises by zero forcing,
``y / h = z + n / h`` (``|h|^2`` floored at ``1e-12``); with ``csi=False`` the received ``y`` is
passed on un-equalised. ``return_gain=True`` also returns ``|h|`` as a ``[B]`` tensor, e.g. to
condition a decoder. Output has the shape of ``x``; ``rescale_output=True`` multiplies it back by
the input's per-sample scale. ``snr_db = inf`` means noiseless.
"""

from __future__ import annotations

import torch
from torch import Tensor

from spikevision.channels.power import Channel, complex_gaussian

__all__ = ["RayleighBlockFadingChannel"]

_GAIN_EPS = 1e-12


class RayleighBlockFadingChannel(Channel):
    """Rayleigh block fading at average SNR ``snr_db`` dB, with or without receiver CSI."""

    kind = "rayleigh"

    def __init__(self, snr_db: float = 5.0, csi: bool = True, rescale_output: bool = False) -> None:
        super().__init__(snr_db=snr_db, rescale_output=rescale_output)
        self.csi = bool(csi)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, csi={self.csi}"

    def _transmit(
        self, z: Tensor, noise_var: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor | None]:
        b, s = z.shape[:2]
        h = complex_gaussian((b,), 1.0, generator=generator, device=z.device, dtype=z.dtype)
        n = complex_gaussian((b, s), noise_var, generator=generator, device=z.device, dtype=z.dtype)
        hr, hi = h[:, 0, None], h[:, 1, None]  # [B, 1]
        zr, zi = z[..., 0], z[..., 1]  # [B, S]
        yr = hr * zr - hi * zi + n[..., 0]
        yi = hr * zi + hi * zr + n[..., 1]
        gain2 = h.square().sum(dim=-1)  # |h|^2, [B]
        if self.csi:  # zero forcing: y * conj(h) / |h|^2
            inv = 1.0 / gain2.clamp_min(_GAIN_EPS)[:, None]
            yr, yi = (yr * hr + yi * hi) * inv, (yi * hr - yr * hi) * inv
        return torch.stack((yr, yi), dim=-1), gain2.sqrt()

    def forward(
        self,
        x: Tensor,
        snr_db: float | Tensor | None = None,
        generator: torch.Generator | None = None,
        return_gain: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Transmit ``x`` ``[B, ...]``; returns ``y`` or ``(y, |h| [B])`` if ``return_gain``."""
        y, gain = self._run(x, snr_db, generator)
        return (y, gain) if return_gain else y
