"""Generalised divisive normalisation (GDN / inverse GDN) of Ballé et al. (ICLR 2016).

``y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)``; the inverse (IGDN, for decoders) multiplies
instead. Written here because the maintained implementation (CompressAI) pins numpy < 2 and pulls
torch-geometric (research note ``jscc.md``); it is tested against the formula above.
Non-negativity is kept by a squared reparametrisation with a lower bound on ``beta``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GDN(nn.Module):
    """GDN over the channels of ``[B, C, H, W]`` (``inverse=True``: IGDN)."""

    def __init__(self, channels: int, inverse: bool = False, beta_min: float = 1e-6,
                 gamma_init: float = 0.1) -> None:
        super().__init__()
        self.inverse = inverse
        self.beta_min = beta_min
        self.beta_sqrt = nn.Parameter(torch.ones(channels))
        self.gamma_sqrt = nn.Parameter(torch.eye(channels) * gamma_init**0.5)

    def coefficients(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(beta ``[C]``, gamma ``[C, C]``), both non-negative."""
        beta = self.beta_sqrt**2 + self.beta_min
        gamma = self.gamma_sqrt**2
        return beta, gamma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        beta, gamma = self.coefficients()
        channels = x.shape[1]
        norm = torch.sqrt(F.conv2d(x * x, gamma.view(channels, channels, 1, 1), beta))
        return x * norm if self.inverse else x / norm
