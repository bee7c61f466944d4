"""Per-view JSCC encoder and decoder, one definition for the CNN and the SNN.

Shape (the DHF-JSCC seed's CNN): ``num_layers`` (3) k×k (5×5) stride-2 convolutions with
``hidden_channels`` (256) channels, then a 3×3 channel head to ``latent_channels`` reals per
position at 1/8 resolution; the decoder mirrors it with a 3×3 stem and ``num_layers`` stride-2
transposed convolutions, the last of which maps to the 3 output channels (sigmoid).

SNN (``activation='spike'``): the image is direct-coded into the first, real-valued
convolution (computed once, repeated over ``time_steps``); every later convolution of the
encoder receives spikes; the channel head is non-spiking and works on the time-mean of the last
spike maps, so the channel symbols are signed reals. The decoder stem is real-valued (it reads
channel symbols); every transposed convolution receives spikes; the last one is the non-spiking readout: it
reads the time-mean (or leaky-integrator membrane potential) of the last spike maps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from spikevision.models.jscc.layers import (
    ConvUnit,
    SNRAttention,
    activate_repeated,
    make_activation,
    make_norm,
    mean_time,
)
from spikevision.snn.coding import membrane_readout
from spikevision.snn.time_distributed import split_time

READOUTS = ("mean", "membrane")


class JsccEncoder(nn.Module):
    """Image ``[B, 3, H, W]`` in [0, 1] → latent ``[B, latent_channels, H/2^L, W/2^L]`` (reals).

    ``with_head=False`` builds a side-information encoder (no channel head): use
    :meth:`features`.
    """

    def __init__(self, hidden_channels: int = 256, latent_channels: int = 24, kernel_size: int = 5,
                 num_layers: int = 3, norm: str = "batch", activation: str = "relu",
                 neuron: Mapping[str, Any] | None = None, time_steps: int = 1,
                 snr_conditioning: bool = False, in_channels: int = 3, with_head: bool = True) -> None:
        super().__init__()
        self.time_steps = time_steps
        pad = kernel_size // 2
        self.units = nn.ModuleList()
        for i in range(num_layers):
            conv = nn.Conv2d(in_channels if i == 0 else hidden_channels, hidden_channels,
                             kernel_size, stride=2, padding=pad)
            self.units.append(ConvUnit(conv, make_norm(norm, hidden_channels),
                                       make_activation(activation, hidden_channels, False, neuron,
                                                       time_steps)))
        self.head = nn.Conv2d(hidden_channels, latent_channels, 3, padding=1) if with_head else None
        self.snr_attention = SNRAttention(latent_channels) if snr_conditioning and with_head else None

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each unit, fine to coarse; folded ``[T*B, C, h, w]`` for the SNN."""
        feats = []
        for i, unit in enumerate(self.units):
            if i == 0:  # real-valued first layer; direct coding repeats it over time
                x = activate_repeated(unit.act, unit.norm(unit.conv(x)), self.time_steps)
            else:
                x = unit(x)
            feats.append(x)
        return feats

    def forward(self, x: torch.Tensor, side: torch.Tensor | None = None) -> torch.Tensor:
        if self.head is None:
            raise RuntimeError("a side-information encoder has no channel head; call features()")
        z = self.head(mean_time(self.features(x)[-1], self.time_steps))
        if self.snr_attention is not None:
            z = self.snr_attention(z, side)
        return z


class JsccDecoder(nn.Module):
    """Received symbols ``[B, latent_channels, h, w]`` → image ``[B, 3, h·2^L, w·2^L]`` in [0, 1].

    ``side_channels > 0``: each upsampling layer also receives side-information features of
    that many channels (concatenated), coarse to fine (:meth:`JsccEncoder.features` reversed).
    Split into :meth:`stem` (real-valued ``[B, C, h, w]``, where cross-view fusion happens) and
    :meth:`body`.
    """

    def __init__(self, hidden_channels: int = 256, latent_channels: int = 24, kernel_size: int = 5,
                 num_layers: int = 3, norm: str = "batch", activation: str = "relu",
                 neuron: Mapping[str, Any] | None = None, time_steps: int = 1,
                 snr_conditioning: bool = False, out_channels: int = 3, side_channels: int = 0,
                 readout: str = "mean", readout_tau: float = 2.0) -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"unknown readout '{readout}'; choose from {READOUTS}")
        self.time_steps = time_steps
        self.readout = readout
        self.readout_tau = readout_tau
        self.stem_conv = nn.Conv2d(latent_channels, hidden_channels, 3, padding=1)
        self.stem_norm = make_norm(norm, hidden_channels)
        self.snr_attention = SNRAttention(hidden_channels) if snr_conditioning else None
        self.stem_act = make_activation(activation, hidden_channels, True, neuron, time_steps)
        pad = kernel_size // 2
        self.units = nn.ModuleList(
            ConvUnit(nn.ConvTranspose2d(hidden_channels + side_channels, hidden_channels, kernel_size,
                                        stride=2, padding=pad, output_padding=1),
                     make_norm(norm, hidden_channels),
                     make_activation(activation, hidden_channels, True, neuron, time_steps))
            for _ in range(num_layers - 1))
        self.out_conv = nn.ConvTranspose2d(hidden_channels + side_channels, out_channels, kernel_size,
                                           stride=2, padding=pad, output_padding=1)

    def stem(self, y: torch.Tensor, side: torch.Tensor | None = None) -> torch.Tensor:
        """Real-valued stem features ``[B, C, h, w]``."""
        h = self.stem_norm(self.stem_conv(y))
        if self.snr_attention is not None:
            h = self.snr_attention(h, side)
        return h

    def body(self, h: torch.Tensor, side_features: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        x = activate_repeated(self.stem_act, h, self.time_steps)
        for i, unit in enumerate(self.units):
            if side_features is not None:
                x = torch.cat([x, side_features[i]], dim=1)
            x = unit(x)
        if side_features is not None:
            x = torch.cat([x, side_features[-1]], dim=1)
        # readout: the last (linear) layer commutes with the time average, so it runs once on
        # the mean spikes (or on the leaky-integrator membrane of them)
        if self.time_steps > 1 and self.readout == "membrane":
            x = membrane_readout(split_time(x, self.time_steps), self.readout_tau)
        else:
            x = mean_time(x, self.time_steps)
        return torch.sigmoid(self.out_conv(x))

    def forward(self, y: torch.Tensor, side: torch.Tensor | None = None,
                side_features: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        return self.body(self.stem(y, side), side_features)
