"""The coarse network of the official SpikeCLIP release, and a reader of its published weights.

Facts from the release (github chenkang455/SpikeCLIP: ``models.py``, ``evaluate.py``,
``utils.py``, ``models/LRN_CALTECH.pth``), implemented here anew:

- the network, called ``LRN`` there, is five 3×3 convolutions (stride 1, padding 1)
  50 → 64 → 128 → 64 → 16 → 1 channels, a ReLU after each of the first four, nothing after the
  last (the output is not bounded). Its ``norm`` argument can put a BatchNorm or InstanceNorm
  between the convolution and the ReLU of blocks 2–4; the published weights use ``'none'``, so
  the network has no normalisation layer at all (local response normalisation included);
- 185,889 parameters (0.19 M);
- input: the 200 spike frames of a sample's central 224×224 crop (rows and columns 13:237 of the
  250×250 UHSR frames) summed in 50 groups of 4 consecutive frames: channel k counts the spikes
  of frames 4k … 4k+3 (0–4 per pixel);
- weights file: ``torch.save(network.state_dict())`` (DataParallel unwrapped, CPU tensors), a
  plain ``OrderedDict`` with keys ``0.0.weight``, ``0.0.bias`` … ``3.0.bias``, ``4.weight``,
  ``4.bias`` (block ``i`` is ``Sequential(conv, [norm,] ReLU)``, the last conv is ``4``).

:class:`OfficialCoarseNet` has exactly those state-dict keys, so the release's file loads as it
is (:func:`load_official_weights`, ``weights_only=True``). Used as SpikeCLIP's stage-1
``network`` (``train/base/spikeclip_official_net.yaml``), it takes :class:`SnnReconModel`'s
multi-step input ``[T=50, B, 1, H, W]`` of spike rates (spikevision's UHSR planes: spikes per
frame in [0, 1]); ``input_scale: 4`` turns those into the release's 4-frame counts.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from spikevision.errors import CheckpointError
from spikevision.safe_load import read_state_dict
from spikevision.stages import load_matching_state

WIDTHS = (64, 128, 64, 16)  # output channels of the four conv + ReLU blocks
NORMS = {"none": None,
         "batch": lambda c: nn.BatchNorm2d(c, momentum=0.1, affine=True, track_running_stats=True),
         "instance": lambda c: nn.InstanceNorm2d(c, affine=False, track_running_stats=False)}
DATA_PARALLEL_PREFIX = "module."


class OfficialCoarseNet(nn.Sequential):
    """The release's coarse CNN. ``in_channels``: spike planes (50); ``norm``: ``none`` (the
    published weights), ``batch`` or ``instance`` on blocks 2–4; ``input_scale`` multiplies the
    input first (4.0 turns spike rates of 4-frame groups into the release's spike counts)."""

    def __init__(self, in_channels: int = 50, out_channels: int = 1, norm: str = "none",
                 input_scale: float = 1.0) -> None:
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {sorted(NORMS)}, got '{norm}'")
        blocks = []
        for i, (cin, cout) in enumerate(zip((in_channels, *WIDTHS[:-1]), WIDTHS, strict=True)):
            layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, 1, 1)]
            if i > 0 and NORMS[norm] is not None:  # the release never normalises block 1
                layers.append(NORMS[norm](cout))
            layers.append(nn.ReLU(inplace=True))
            blocks.append(nn.Sequential(*layers))
        super().__init__(*blocks, nn.Conv2d(WIDTHS[-1], out_channels, 3, 1, 1))
        self.in_channels, self.out_channels = in_channels, out_channels
        self.input_scale = float(input_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, in_channels, H, W]`` spike planes, or :class:`SnnReconModel`'s multi-step
        ``[T, B, C, H, W]`` with ``T·C = in_channels`` → ``[B, out_channels, H, W]`` (unbounded)."""
        if x.dim() == 5:
            x = x.transpose(0, 1).flatten(1, 2)
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"OfficialCoarseNet takes [B, {self.in_channels}, H, W] or [T, B, C, H, W] with "
                             f"T·C = {self.in_channels}, got shape {tuple(x.shape)}")
        return super().forward(x * self.input_scale if self.input_scale != 1.0 else x)

    @classmethod
    def from_release(cls, path: str | Path, **kwargs) -> OfficialCoarseNet:
        """A network (``kwargs`` as for the constructor) with the release's weights file loaded."""
        return load_official_weights(cls(**kwargs), path)


def read_official_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of a weights file in the release's format (a plain state dict; a
    ``module.`` prefix on every key, as ``torch.save`` of a DataParallel network writes, is
    removed), read with ``weights_only=True``. :class:`CheckpointError` naming the file when
    it is unreadable, unsafe, or not a mapping of names to tensors."""
    state = read_state_dict(path)
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{path} is not a state dict of the official SpikeCLIP network: "
                                  f"'{key}' holds a {type(value).__name__}, not a tensor")
    if state and all(k.startswith(DATA_PARALLEL_PREFIX) for k in state):
        state = {k[len(DATA_PARALLEL_PREFIX):]: v for k, v in state.items()}
    return state


def load_official_weights(net: nn.Module, path: str | Path) -> nn.Module:
    """Load the release's weights file into ``net`` (an :class:`OfficialCoarseNet` of the same
    configuration): every key and shape must match, else :class:`CheckpointMismatchError`
    naming the file and the first mismatching key. Returns ``net``."""
    load_matching_state(net, read_official_state_dict(path), key_path="official SpikeCLIP weights",
                        optional=(), source=path)
    return net
