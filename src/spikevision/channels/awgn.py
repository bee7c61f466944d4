"""Additive white Gaussian noise channel: ``y = z + n``, ``n ~ CN(0, sigma^2)``.

Input ``x``: real tensor ``[B, ...]``; per sample, elements ``2k, 2k + 1`` (C order) are the real
and imaginary parts of complex symbol ``k`` (odd element count → ChannelError). The symbols ``z``
are normalised per sample to ``mean_k |z_k|^2 = 1`` (eps ``1e-12`` on the power), then noise with
``sigma^2 = 10 ** (-snr_db / 10)`` (``sigma^2 / 2`` per real part) is added. The output has the
shape of ``x``: the normalised received symbols, or with ``rescale_output=True`` those multiplied
back by the input's per-sample scale. ``snr_db = inf`` returns exactly the normalised input.
"""

from __future__ import annotations

import torch
from torch import Tensor

from spikevision.channels.power import Channel, complex_gaussian

__all__ = ["AWGNChannel"]


class AWGNChannel(Channel):
    """AWGN channel at ``snr_db`` dB (per complex symbol, unit signal power)."""

    kind = "awgn"

    def __init__(self, snr_db: float = 5.0, rescale_output: bool = False) -> None:
        super().__init__(snr_db=snr_db, rescale_output=rescale_output)

    def _transmit(
        self, z: Tensor, noise_var: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor | None]:
        n = complex_gaussian(
            tuple(z.shape[:2]), noise_var, generator=generator, device=z.device, dtype=z.dtype
        )
        return z + n, None

    def forward(
        self,
        x: Tensor,
        snr_db: float | Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Transmit ``x`` ``[B, ...]``; ``snr_db`` (float or ``[B]``, dB) overrides the module's."""
        y, _ = self._run(x, snr_db, generator)
        return y
