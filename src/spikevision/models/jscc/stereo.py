"""Stereo deep JSCC: per-view encoders, independent noisy channels, decoders that may use the
other view.

Variants (``variant``):

- ``single``: one single-view codec (shared by both views); each view is encoded, sent and
  decoded on its own (DeepJSCC).
- ``side_info``: only the left view is sent; the decoder also has the right view (side
  information at the receiver, DeepJSCC-WZ style), through a side encoder of the same shape
  whose feature maps join every upsampling layer of the left decoder.
- ``joint``: both views are sent over independent channels (one encoder and decoder per view)
  and decoded together: each decoder's stem features attend to the other view's by cross-view
  attention before upsampling (distributed JSCC, NDIC-style fusion). ``share_views: true``
  uses one encoder and one decoder for both views (only the two fusion modules differ).

``activation='spike'`` makes every codec spiking (see :mod:`spikevision.models.jscc.codec`);
``time_steps`` is then the number of SNN steps (ignored by the CNN, which runs once).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from spikevision.channels import Channel, make_channel
from spikevision.channels.bandwidth import bandwidth_ratio
from spikevision.models.jscc.codec import JsccDecoder, JsccEncoder
from spikevision.models.jscc.layers import CrossViewAttention

VARIANTS = ("single", "side_info", "joint")


class StereoJscc(nn.Module):
    """Stereo pair ``left, right [B, 3, H, W]`` in [0, 1] → decoded views (see module doc).

    ``H`` and ``W`` must be multiples of ``2**num_layers``. ``channel`` is a
    :func:`spikevision.channels.make_channel` spec (``{kind: awgn|rayleigh, snr_db, ...}``).
    """

    def __init__(self, variant: str = "single", hidden_channels: int = 256, latent_channels: int = 24,
                 kernel_size: int = 5, num_layers: int = 3, norm: str = "batch",
                 activation: str = "relu", neuron: Mapping[str, Any] | None = None, time_steps: int = 4,
                 readout: str = "mean", snr_conditioning: bool = False,
                 channel: Mapping[str, Any] | None = None, fusion_heads: int = 4,
                 share_views: bool = False) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown JSCC variant '{variant}'; choose from {VARIANTS}")
        self.variant = variant
        self.spiking = activation == "spike"
        self.time_steps = int(time_steps) if self.spiking else 1
        self.num_layers = num_layers
        self.latent_channels = latent_channels
        self.snr_conditioning = snr_conditioning
        common = dict(hidden_channels=hidden_channels, latent_channels=latent_channels,
                      kernel_size=kernel_size, num_layers=num_layers, norm=norm, activation=activation,
                      neuron=neuron, time_steps=self.time_steps)
        dec = dict(common, readout=readout, snr_conditioning=snr_conditioning)
        enc = dict(common, snr_conditioning=snr_conditioning)
        self.channel: Channel = make_channel(**dict(channel or {"kind": "awgn", "snr_db": 5.0}))
        if variant == "single":
            self.encoder = JsccEncoder(**enc)
            self.decoder = JsccDecoder(**dec)
        elif variant == "side_info":
            self.encoder = JsccEncoder(**enc)
            self.side_encoder = JsccEncoder(**dict(common, with_head=False))
            self.decoder = JsccDecoder(**dec, side_channels=hidden_channels)
        elif share_views:  # one codec serves both views (registered under both names)
            self.encoder_left = self.encoder_right = JsccEncoder(**enc)
            self.decoder_left = self.decoder_right = JsccDecoder(**dec)
        else:
            self.encoder_left, self.encoder_right = JsccEncoder(**enc), JsccEncoder(**enc)
            self.decoder_left, self.decoder_right = JsccDecoder(**dec), JsccDecoder(**dec)
        if variant == "joint":
            self.fusion_left = CrossViewAttention(hidden_channels, fusion_heads)
            self.fusion_right = CrossViewAttention(hidden_channels, fusion_heads)

    @property
    def transmitted_views(self) -> tuple[str, ...]:
        return ("left",) if self.variant == "side_info" else ("left", "right")

    def bandwidth_ratio(self, height: int, width: int) -> float:
        """ρ = complex channel uses per source dimension of one transmitted ``3×H×W`` view."""
        stride = 2**self.num_layers
        reals = self.latent_channels * (height // stride) * (width // stride)
        return bandwidth_ratio(reals, height, width)

    def _transmit(self, z: torch.Tensor, snr_db: float | torch.Tensor | None,
                  generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Send ``z`` through the channel; returns (received, fading gain ``[B]``; ones for AWGN)."""
        if getattr(self.channel, "kind", "awgn") == "rayleigh":
            y, gain = self.channel(z, snr_db=snr_db, generator=generator, return_gain=True)
        else:
            y = self.channel(z, snr_db=snr_db, generator=generator)
            gain = torch.ones(z.shape[0], device=z.device, dtype=z.dtype)
        return y, gain

    def _side_variables(self, batch: int, snr_db: float | torch.Tensor | None, gain: torch.Tensor | None,
                        ref: torch.Tensor) -> torch.Tensor | None:
        """``[B, 2]``: SNR/20 and the fading gain, for the SNR-attention modules."""
        if not self.snr_conditioning:
            return None
        snr = self.channel.snr_db if snr_db is None else snr_db
        snr = torch.as_tensor(snr, dtype=ref.dtype, device=ref.device).expand(batch)
        gain = torch.ones(batch, dtype=ref.dtype, device=ref.device) if gain is None else gain
        return torch.stack([snr / 20.0, gain.to(ref.dtype)], dim=1)

    def _check(self, x: torch.Tensor, name: str) -> None:
        stride = 2**self.num_layers
        if x.dim() != 4 or x.shape[1] != 3 or x.shape[-1] % stride or x.shape[-2] % stride:
            raise ValueError(f"{name} must be [B, 3, H, W] with H and W multiples of {stride};"
                             f" got {tuple(x.shape)}")

    def forward(self, left: torch.Tensor, right: torch.Tensor, snr_db: float | torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor | None]:
        """Returns ``{"left": [B,3,H,W], "right": [B,3,H,W] or None (side_info), "gain": [B]}``."""
        self._check(left, "left")
        self._check(right, "right")
        b = left.shape[0]
        enc_side = self._side_variables(b, snr_db, None, left)
        if self.variant == "single":
            both = torch.cat([left, right])
            side = None if enc_side is None else enc_side.repeat(2, 1)
            y, gain = self._transmit(self.encoder(both, side), _repeat(snr_db, 2), generator)
            out = self.decoder(y, self._side_variables(2 * b, _repeat(snr_db, 2), gain, left))
            return {"left": out[:b], "right": out[b:], "gain": gain[:b]}
        if self.variant == "side_info":
            y, gain = self._transmit(self.encoder(left, enc_side), snr_db, generator)
            side_features = self.side_encoder.features(right)[::-1]
            out = self.decoder(y, self._side_variables(b, snr_db, gain, left), side_features)
            return {"left": out, "right": None, "gain": gain}
        y_l, gain_l = self._transmit(self.encoder_left(left, enc_side), snr_db, generator)
        y_r, gain_r = self._transmit(self.encoder_right(right, enc_side), snr_db, generator)
        h_l = self.decoder_left.stem(y_l, self._side_variables(b, snr_db, gain_l, left))
        h_r = self.decoder_right.stem(y_r, self._side_variables(b, snr_db, gain_r, left))
        out_l = self.decoder_left.body(self.fusion_left(h_l, h_r))
        out_r = self.decoder_right.body(self.fusion_right(h_r, h_l))
        return {"left": out_l, "right": out_r, "gain": gain_l}


def _repeat(snr_db: float | torch.Tensor | None, times: int) -> float | torch.Tensor | None:
    """A per-sample SNR tensor repeated for a batch concatenated ``times`` times."""
    if isinstance(snr_db, torch.Tensor) and snr_db.dim() == 1:
        return snr_db.repeat(times)
    return snr_db
