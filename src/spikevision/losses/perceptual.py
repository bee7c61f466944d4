"""VGG19 perceptual loss: MSE between frozen VGG19 feature maps of prediction and target.

Images are ``[B, C, H, W]`` in [0, 1] with C = 1 (replicated to RGB) or 3, normalised with the
ImageNet mean/std before the network. The features are those of ``torchvision``'s VGG19
``features[:num_layers]``; the default 16 layers end at relu3_3 (conv1_1 … relu3_3, the depth the
spikling restorer uses).

Weights (``weights=``):

- ``"imagenet"`` / ``"auto"``: torchvision's ImageNet VGG19 file ``vgg19-dcbb9e9d.pth`` from the
  torch hub cache (``<torch.hub.get_dir()>/checkpoints``), located by
  :func:`spikevision.losses.pretrained.find_weights`; nothing is downloaded, a missing file raises
  :class:`~spikevision.losses.pretrained.WeightsNotFoundError` saying where to put it.
- a path: a state dict of the whole VGG19 (``features.N.*`` keys), of ``features`` alone
  (``N.*``), or of its first ``num_layers`` layers.
- ``"random"``: random initialisation (tests, smoke runs).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch
from torch import nn
from torchvision.models import VGG19_Weights
from torchvision.models.vgg import cfgs, make_layers

from spikevision.losses.pretrained import WeightsNotFoundError, find_weights

__all__ = ["VGGPerceptualLoss", "WeightsNotFoundError", "load_vgg19_features"]

VGG19_URL = VGG19_Weights.IMAGENET1K_V1.url
VGG19_FILE = Path(VGG19_URL).name  # vgg19-dcbb9e9d.pth
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _features_only(state: dict[str, torch.Tensor], num_layers: int) -> dict[str, torch.Tensor]:
    """Keys of ``features[:num_layers]`` from a whole-VGG or features-only state dict."""
    if any(k.startswith("features.") for k in state):
        state = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    return {k: v for k, v in state.items() if int(k.split(".", 1)[0]) < num_layers}


def _vgg19_config(num_layers: int) -> list:
    """The prefix of torchvision's VGG19 layer config ("E") that yields ``num_layers`` layers."""
    cfg, count = [], 0
    for entry in cfgs["E"]:
        if count >= num_layers:
            break
        cfg.append(entry)
        count += 1 if entry == "M" else 2  # conv + ReLU, or max-pool
    return cfg


def load_vgg19_features(weights: str | os.PathLike = "imagenet", num_layers: int = 16) -> nn.Sequential:
    """Frozen, eval-mode ``vgg19().features[:num_layers]`` with ``weights`` (see module doc)."""
    if not 1 <= num_layers <= 36:
        raise ValueError(f"num_layers must be in [1, 36] (VGG19 has 36 feature layers), got {num_layers}")
    features = make_layers(_vgg19_config(num_layers))[:num_layers]  # no classifier, no deeper layers
    if str(weights) != "random":
        given = None if str(weights) in ("imagenet", "auto") else weights
        path = find_weights("VGG19 (perceptual loss)", given, VGG19_FILE, VGG19_URL)
        try:
            features.load_state_dict(_features_only(torch.load(path, map_location="cpu", weights_only=True),
                                                    num_layers))
        except (RuntimeError, ValueError, AttributeError, pickle.UnpicklingError) as err:
            raise WeightsNotFoundError(
                f"{path} does not hold VGG19 weights for features[:{num_layers}]: {err}") from err
    features.eval().requires_grad_(False)
    return features


class VGGPerceptualLoss(nn.Module):
    """``mean((φ(pred) − φ(target))²)`` with φ = frozen VGG19 features; images in [0, 1].

    ``normalize``: apply the ImageNet mean/std first. The network stays in eval mode and is never
    trained (``train()`` does not switch it back).
    """

    def __init__(
        self,
        weights: str | os.PathLike = "imagenet",
        num_layers: int = 16,
        normalize: bool = True,
    ) -> None:
        super().__init__()
        self.features = load_vgg19_features(weights, num_layers)
        self.normalize = normalize
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> VGGPerceptualLoss:
        super().train(mode)
        self.features.eval()
        return self

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"perceptual loss expects [B, 1 or 3, H, W], got {tuple(x.shape)}")
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return (x - self.mean) / self.std if self.normalize else x

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target_features = self.features(self._prepare(target))
        return nn.functional.mse_loss(self.features(self._prepare(pred)), target_features)
