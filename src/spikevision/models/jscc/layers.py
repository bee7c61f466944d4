"""Building blocks shared by the CNN and SNN JSCC codecs.

Both codecs run the same convolution/normalisation code. The SNN keeps its tensors folded as
``[T*B, C, H, W]`` (time-major: step t of sample b is row ``t*B + b``), so convolutions and
batch normalisation see all steps at once (BatchNorm over T and B, i.e. tdBN without the
threshold factor) and only the neurons unfold time. The CNN is the same network with ``T = 1``
and a ReLU/GDN where the SNN has a spiking neuron.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from spikevision.models.jscc.gdn import GDN
from spikevision.snn.neurons import make_neuron
from spikevision.snn.time_distributed import expand_time, merge_time, split_time

NORMS = ("batch", "group", "none")


def make_norm(kind: str, channels: int) -> nn.Module:
    """``batch`` (BatchNorm2d; over T·B for the SNN), ``group`` (GroupNorm, ≤ 32 groups) or ``none``."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        groups = next(g for g in (32, 16, 8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm '{kind}'; choose from {NORMS}")


class SpikingActivation(nn.Module):
    """A multi-step spiking neuron applied to folded ``[T*B, ...]`` tensors; output: spikes.

    On CPU the LIF and I-LIF neurons run spikevision's fused multi-step loop
    (:mod:`spikevision.snn.neurons`); on CUDA spikingjelly's multi-step kernels.
    """

    def __init__(self, neuron: Mapping[str, Any] | None, time_steps: int) -> None:
        super().__init__()
        self.neuron = make_neuron(neuron)
        self.time_steps = time_steps

    def forward(self, x: torch.Tensor, repeated: bool = False) -> torch.Tensor:
        """Folded ``[T*B, ...]`` → spikes ``[T*B, ...]``; ``repeated=True``: direct coding, ``x``
        ``[B, ...]`` drives every step as an expanded view (no ``[T*B]`` copy; the fused neurons
        read it per step)."""
        if repeated:
            seq = expand_time(x, self.time_steps)
            if x.device.type != "cpu":  # spikingjelly's CUDA/Triton kernels are given dense inputs
                seq = seq.contiguous()
            return merge_time(self.neuron(seq))
        return merge_time(self.neuron(split_time(x, self.time_steps)))


def make_activation(kind: str, channels: int, inverse: bool, neuron: Mapping[str, Any] | None,
                    time_steps: int) -> nn.Module:
    """``relu``/``prelu``/``gdn`` for the CNN (GDN → IGDN in decoders), ``spike`` for the SNN."""
    if kind == "relu":
        return nn.ReLU(inplace=False)
    if kind == "prelu":
        return nn.PReLU(channels)
    if kind == "gdn":
        return GDN(channels, inverse=inverse)
    if kind == "spike":
        return SpikingActivation(neuron, time_steps)
    raise ValueError(f"unknown activation '{kind}'; choose from relu, prelu, gdn, spike")


def repeat_time(x: torch.Tensor, time_steps: int) -> torch.Tensor:
    """Direct coding: ``[B, ...]`` → ``[T*B, ...]`` (the same real tensor at every step)."""
    if time_steps == 1:
        return x
    return merge_time(expand_time(x, time_steps))


def activate_repeated(act: nn.Module, x: torch.Tensor, time_steps: int) -> torch.Tensor:
    """``act(repeat_time(x))`` (direct coding into an activation), without materialising the
    ``[T*B, ...]`` repeat when ``act`` is a :class:`SpikingActivation`."""
    if isinstance(act, SpikingActivation) and time_steps > 1:
        return act(x, repeated=True)
    return act(repeat_time(x, time_steps))


def mean_time(x: torch.Tensor, time_steps: int) -> torch.Tensor:
    """``[T*B, ...]`` → ``[B, ...]``: mean over the time steps."""
    if time_steps == 1:
        return x
    return split_time(x, time_steps).mean(0)


class ConvUnit(nn.Sequential):
    """Convolution (or transposed convolution, ×2 upsampling) → norm → activation."""

    def __init__(self, conv: nn.Module, norm: nn.Module, activation: nn.Module) -> None:
        super().__init__()
        self.conv = conv
        self.norm = norm
        self.act = activation


class SNRAttention(nn.Module):
    """Attention-feature (AF) module: channel scales from the pooled features and the side
    variables (SNR in dB / 20, and the fading gain |h| when given), ``[B, C, H, W]`` → same.

    One model then serves a range of SNRs (Xu et al., ADJSCC). Applied only where the tensor is
    real-valued (the latent before the channel, the decoder stem), so spikes stay binary.
    """

    def __init__(self, channels: int, side_dim: int = 2, hidden: int | None = None) -> None:
        super().__init__()
        hidden = hidden or max(16, channels // 2)
        self.mlp = nn.Sequential(nn.Linear(channels + side_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, channels), nn.Sigmoid())

    def forward(self, x: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
        pooled = x.mean(dim=(2, 3))
        scale = self.mlp(torch.cat([pooled, side.to(pooled.dtype)], dim=1))
        return x * scale[:, :, None, None]


class CrossViewAttention(nn.Module):
    """Cross-attention fusion of two views' feature maps (NDIC / DHF ``Fusion`` style).

    ``x`` attends to ``other`` (both ``[B, C, h, w]``): LayerNorm, multi-head attention with
    queries from ``x`` and keys/values from ``other``, output projection, residual.
    """

    def __init__(self, channels: int, heads: int = 4) -> None:
        super().__init__()
        self.norm_q = nn.LayerNorm(channels)
        self.norm_kv = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.norm_q(x.flatten(2).transpose(1, 2))
        kv = self.norm_kv(other.flatten(2).transpose(1, 2))
        fused, _ = self.attn(q, kv, kv, need_weights=False)
        return x + fused.transpose(1, 2).reshape(b, c, h, w)
