"""Generative metrics (FID, IS, KID, precision/recall) through torch-fidelity.

Samples are a folder of PNGs (as written by the sampler) or a dataset; the reference is a
dataset split turned into the same kind of RGB image (events: ON red / OFF blue, all time
steps overlaid). The default feature extractor is torch-fidelity's Inception-v3, whose
weights are taken from a configured path or the torch hub cache — never downloaded here.
Any module ``uint8 [N, 3, H, W] → features [N, D]`` (or ``(features, logits)``) can be used
instead (e.g. a classifier trained on N-Digits, or a tiny random net in tests).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from spikevision.losses.pretrained import find_weights
from spikevision.sample.writer import sample_rgb
from spikevision.transforms import center_crop

INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                 "weights-inception-2015-12-05-6726825d.pth")
METRICS = ("fid", "isc", "kid", "prc")


class FidelityImages(Dataset):
    """A spikevision dataset as torch-fidelity input: ``uint8 [3, H, W]`` per item.

    ``key``: the item entry (``image`` or ``input``); ``crop``: center crop (match the samples);
    ``clip``: event counts are clipped to ``clip`` and scaled to [0, 1] (as in the VQ-VAE).
    """

    def __init__(self, dataset: Dataset, key: str = "image", crop: int | None = None,
                 clip: float = 1.0, limit: int | None = None) -> None:
        self.dataset, self.key, self.crop, self.clip = dataset, key, crop, clip
        self.length = len(dataset) if limit is None else min(limit, len(dataset))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> torch.Tensor:
        x = center_crop(self.dataset[i][self.key].float(), self.crop)
        event = x.dim() == 4
        if event:
            x = x.clamp(0, self.clip) / self.clip
        _, still = sample_rgb(x[None], event)
        return (still[0].clamp(0, 1) * 255).round().to(torch.uint8)


def _wrap_module(module: nn.Module) -> type:
    """A torch-fidelity feature-extractor class around ``module`` (features + logits)."""
    from torch_fidelity import FeatureExtractorBase

    class ModuleFeatureExtractor(FeatureExtractorBase):
        def __init__(self, name: str, features_list: Sequence[str], **kwargs: Any) -> None:
            super().__init__(name, features_list)
            self.net = module

        @staticmethod
        def get_provided_features_list() -> tuple[str, str]:
            return ("features", "logits")

        @staticmethod
        def get_default_feature_layer_for_metric(metric: str) -> str:
            return "logits" if metric == "isc" else "features"

        @staticmethod
        def can_be_compiled() -> bool:
            return False

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            out = self.net(x)
            feats, logits = out if isinstance(out, tuple) else (out, out)
            named = {"features": feats.double(), "logits": logits.double()}
            return tuple(named[f] for f in self.features_list)

    return ModuleFeatureExtractor


_counter = itertools.count()


def compute_metrics(samples: str | Path | Dataset, reference: Dataset,
                    metrics: Sequence[str] = METRICS, weights_path: str | None = None,
                    feature_module: nn.Module | None = None, batch_size: int = 64,
                    kid_subset_size: int = 1000, prc_neighborhood: int = 3,
                    device: str | None = None) -> dict[str, float]:
    """FID / IS / KID / precision-recall of ``samples`` against ``reference``.

    ``feature_module=None`` → Inception-v3 from ``weights_path`` or the hub cache (clear error
    offline). Returns torch-fidelity's keys, e.g. ``frechet_inception_distance``.
    """
    import torch_fidelity

    unknown = set(metrics) - set(METRICS)
    if unknown or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {METRICS}, got {list(metrics)}")
    if isinstance(samples, str | Path):
        folder = Path(samples)
        if not folder.is_dir() or not any(folder.glob("*.png")):
            raise FileNotFoundError(f"no PNG samples in '{folder}' (write them with the sample command)")
        samples = str(folder)
    n_ref, n_smp = len(reference), len(samples) if isinstance(samples, Dataset) else len(
        list(Path(samples).glob("*.png")))
    kwargs: dict[str, Any] = {}
    if feature_module is None:
        kwargs["feature_extractor"] = "inception-v3-compat"
        kwargs["feature_extractor_weights_path"] = str(
            find_weights("Inception-v3 (torch-fidelity)", weights_path, INCEPTION_FILE, INCEPTION_URL))
    else:
        name = f"spikevision-module-{next(_counter)}"
        torch_fidelity.register_feature_extractor(name, _wrap_module(feature_module))
        kwargs["feature_extractor"] = name
    cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    result = torch_fidelity.calculate_metrics(
        input1=samples, input2=reference, cuda=cuda, batch_size=batch_size,
        fid="fid" in metrics, isc="isc" in metrics, kid="kid" in metrics, prc="prc" in metrics,
        kid_subset_size=min(kid_subset_size, n_ref, n_smp), prc_neighborhood=prc_neighborhood,
        isc_splits=max(1, min(10, n_smp // 2)), save_cpu_ram=not cuda,  # CPU: no loader workers
        cache=False, verbose=False, samples_find_deep=False, **kwargs)
    return {k: float(v) for k, v in result.items()}
