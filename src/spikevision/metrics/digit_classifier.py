"""A digit classifier trained on N-Digits: the judge of generated digits (seed 002's claim that
samples are recognisable) and the feature space of their FID/KID.

Inputs are what :class:`~spikevision.metrics.fidelity.FidelityImages` gives for real data and
what samples become the same way: ``uint8 [3, 32, 32]`` still images (event frames: ON red / OFF
blue over all time steps; images: grey as RGB). One classifier per input kind (events or images,
representation, crop) is trained once and cached on disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spikevision.atomic_write import atomic_torch_save
from spikevision.data.cache import default_cache_root
from spikevision.safe_load import load_weights_only

log = logging.getLogger(__name__)
VERSION = 1  # bump when the network or its training changes: cached classifiers are retrained


class DigitClassifier(nn.Module):
    """Small CNN: ``uint8 [B, 3, 32, 32]`` → (64-d penultimate features, 10 logits)."""

    def __init__(self, num_classes: int = 10, width: int = 32) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(2 * width * 16, 64), nn.ReLU())
        self.head = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.body(x.float() / 255.0)
        return feats, self.head(feats)

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Class probabilities ``[N, 10]`` of ``uint8 [N, 3, H, W]``."""
        self.eval()
        return torch.cat([self(chunk)[1].softmax(-1) for chunk in x.split(batch_size)])


def _stack(images: Any) -> torch.Tensor:
    return torch.stack([images[i] for i in range(len(images))])


def fit_digit_classifier(train_images: torch.Tensor, train_labels: torch.Tensor, epochs: int = 6,
                         seed: int = 0, augment_shift: int = 2) -> DigitClassifier:
    """Train on ``uint8 [N, 3, H, W]`` images (random shifts of up to ``augment_shift`` px, so the
    judge does not depend on exact digit placement). Adam 2e-3, batch 64."""
    with torch.enable_grad():  # callers may evaluate under no_grad
        return _fit(train_images, train_labels, epochs, seed, augment_shift)


def _fit(train_images: torch.Tensor, train_labels: torch.Tensor, epochs: int, seed: int,
         augment_shift: int) -> DigitClassifier:
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = DigitClassifier()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(train_images), generator=gen).split(64):
            x = train_images[idx]
            if augment_shift:
                dy, dx = (int(v) for v in torch.randint(-augment_shift, augment_shift + 1, (2,), generator=gen))
                x = torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
            loss = nn.functional.cross_entropy(net(x)[1], train_labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


def accuracy(net: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    return float((net.probabilities(images).argmax(1) == labels).float().mean())


def ndigits_classifier(modality: str, representation: Mapping[str, Any] | None, crop: int | None,
                       clip: float = 1.0, epochs: int = 6, seed: int = 0,
                       cache_dir: str | Path | None = None) -> tuple[DigitClassifier, float]:
    """(classifier, test accuracy) for N-Digits items of ``modality`` (``events`` or ``image``) as
    the generator sees them (``crop``, event counts clipped to ``clip``); cached under
    ``<cache>/digit_classifier/<key>.pt``."""
    from spikevision.data.ndigits import NDigits
    from spikevision.metrics.fidelity import FidelityImages

    spec = {"modality": modality, "representation": dict(representation or {}), "crop": crop, "clip": clip,
            "epochs": epochs, "seed": seed, "version": VERSION}
    key = hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir or default_cache_root()) / "digit_classifier" / f"{key}.pt"
    item_key = "input" if modality == "events" else "image"
    kwargs = {"modality": modality, "representation": dict(representation)} if representation else {
        "modality": modality}
    test = NDigits("test", **kwargs)
    test_x = _stack(FidelityImages(test, key=item_key, crop=crop, clip=clip))
    test_y = torch.tensor([test[i]["label"] for i in range(len(test))])
    net = DigitClassifier()
    if path.is_file():
        state = load_weights_only(path)
        net.load_state_dict(state["state_dict"])
        return net.eval(), float(state["test_accuracy"])
    log.info("training the N-Digits digit classifier (%s) → %s", spec, path)
    train = NDigits("train", **kwargs)
    x = _stack(FidelityImages(train, key=item_key, crop=crop, clip=clip))
    y = torch.tensor([train[i]["label"] for i in range(len(train))])
    net = fit_digit_classifier(x, y, epochs=epochs, seed=seed)
    acc = accuracy(net, test_x, test_y)
    atomic_torch_save({"state_dict": net.state_dict(), "test_accuracy": acc, "spec": json.dumps(spec)}, path)
    return net, acc
