"""Generative metrics (FID, IS, KID, precision/recall) through torch-fidelity or pytorch-fid.

Samples are a folder of PNGs (as written by the sampler) or a dataset; the reference is a
dataset split turned into the same kind of RGB image (events: ON red / OFF blue, all time
steps overlaid). Two backends compute FID (``backend``):

- ``torch-fidelity`` (default): every metric from torch-fidelity and its Inception-v3
  (``weights-inception-2015-12-05-6726825d.pth``).
- ``pytorch-fid``: FID from pytorch-fid — its ``InceptionV3`` (pool features, 2048-d by
  default; weights ``pt_inception-2015-12-05-6726825d.pth``) and its
  ``calculate_frechet_distance`` — as the generation papers (and our seed code) report it; IS/KID/PRC
  still come from torch-fidelity.

Inception weights are taken from a configured path or the torch hub cache
(``<torch hub dir>/checkpoints/``) — never downloaded here: a missing file fails at once with its
name and URL. Any module ``uint8 [N, 3, H, W] → features [N, D]`` (or ``(features, logits)``) can
be used instead (e.g. a classifier trained on N-Digits, or a tiny random net in tests); with the
same features both backends give the same Fréchet distance (tested). Reference statistics can be
cached on disk (``cache_dir``), keyed by ``reference_key`` (dataset, split, preprocessing), the
feature network and the library version.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from spikevision.losses.pretrained import find_weights
from spikevision.sample.writer import sample_rgb
from spikevision.transforms import center_crop

INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                 "weights-inception-2015-12-05-6726825d.pth")
PYTORCH_FID_FILE = "pt_inception-2015-12-05-6726825d.pth"
PYTORCH_FID_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + PYTORCH_FID_FILE
METRICS = ("fid", "isc", "kid", "prc")
BACKENDS = ("torch-fidelity", "pytorch-fid")
FID_DIMS = (64, 192, 768, 2048)  # pytorch-fid's feature blocks
FID_KEY = "frechet_inception_distance"


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


class PngFolder(Dataset):
    """The ``*.png`` files of a folder (sorted by name) as ``uint8 [3, H, W]`` (grey → RGB, alpha dropped)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.files = sorted(self.folder.glob("*.png"))
        if not self.folder.is_dir() or not self.files:
            raise FileNotFoundError(f"no PNG samples in '{self.folder}' (write them with the sample command)")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        import imageio.v3 as iio

        img = np.asarray(iio.imread(self.files[i]))
        if img.ndim == 2:
            img = img[..., None]
        img = img[..., :3] if img.shape[-1] >= 3 else np.repeat(img[..., :1], 3, -1)
        if img.dtype != np.uint8:  # 16-bit PNGs
            img = (img.astype(np.float64) / np.iinfo(img.dtype).max * 255).round().astype(np.uint8)
        return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)


def random_inception_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A randomly initialised state dict of the FID Inception's layout (1008 classes, no aux head):
    for tests and dry runs of the pytorch-fid path without its weights file."""
    from torchvision.models import inception_v3

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=True).state_dict()


_PYTORCH_FID_LOCK = threading.Lock()


class PytorchFidInception(nn.Module):
    """pytorch-fid's ``InceptionV3`` as a feature module: ``uint8 [N, 3, H, W] → [N, dims]``.

    The network is pytorch-fid's own (bilinear resize to 299, scaling to [−1, 1], the TF-ported
    blocks); only its weights come from ``weights_path`` or ``<torch hub dir>/checkpoints/``
    (:data:`PYTORCH_FID_FILE`) instead of a download. ``random_init=True`` uses
    :func:`random_inception_state` (same code path, no file). Features are pytorch-fid's: the
    block's output, average-pooled to 1×1 when larger.
    """

    def __init__(self, weights_path: str | Path | None = None, dims: int = 2048, random_init: bool = False,
                 seed: int = 0) -> None:
        super().__init__()
        from pytorch_fid import inception as pfi

        if dims not in FID_DIMS:
            raise ValueError(f"pytorch-fid feature dims must be one of {FID_DIMS}, got {dims}")
        if random_init:
            state, self.weights_name = random_inception_state(seed), f"random-init-seed{seed}"
        else:
            path = find_weights("Inception-v3 (pytorch-fid)", weights_path, PYTORCH_FID_FILE, PYTORCH_FID_URL)
            state = torch.load(path, map_location="cpu", weights_only=True)
            self.weights_name = f"{path.name}:{path.stat().st_size}"
        with _PYTORCH_FID_LOCK:  # pytorch-fid downloads inside InceptionV3(): hand it our state dict
            download = pfi.load_state_dict_from_url
            pfi.load_state_dict_from_url = lambda *args, **kwargs: state
            try:
                self.net = pfi.InceptionV3([pfi.InceptionV3.BLOCK_INDEX_BY_DIM[dims]])
            finally:
                pfi.load_state_dict_from_url = download
        self.dims = dims
        self.requires_grad_(False)
        self.eval()

    @property
    def name(self) -> str:
        import pytorch_fid

        return f"pytorch-fid-{pytorch_fid.__version__}/InceptionV3-{self.dims}/{self.weights_name}"

    def train(self, mode: bool = True) -> PytorchFidInception:  # always eval
        return super().train(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
        out = self.net(x)[0]
        if out.shape[2:] != (1, 1):
            out = nn.functional.adaptive_avg_pool2d(out, (1, 1))
        return out.flatten(1)


def fid_statistics(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(mean ``[D]``, sample covariance ``[D, D]``) of features ``[N, D]``, float64."""
    f = features.double().cpu().numpy() if isinstance(features, torch.Tensor) else np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"FID statistics need features [N >= 2, D], got shape {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     backend: str = "pytorch-fid") -> float:
    """Fréchet distance of two Gaussians by ``backend``'s own formula: pytorch-fid's
    ``calculate_frechet_distance`` (``scipy.linalg.sqrtm``) or torch-fidelity's
    ``fid_statistics_to_metric`` (eigenvalues of ``Σ1·Σ2``)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if backend == "pytorch-fid":
        from pytorch_fid.fid_score import calculate_frechet_distance

        with warnings.catch_warnings():  # pytorch-fid 0.3 passes sqrtm's deprecated `disp`
            warnings.filterwarnings("ignore", message=".*`disp` argument is deprecated", category=DeprecationWarning)
            return float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2))
    if backend == "torch-fidelity":
        from torch_fidelity.metric_fid import fid_statistics_to_metric

        return float(fid_statistics_to_metric({"mu": mu1, "sigma": sigma1}, {"mu": mu2, "sigma": sigma2},
                                              False)[FID_KEY])
    raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` → ``cuda`` when available, else CPU; ``cuda:N`` is checked against the GPUs present."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    d = torch.device(device)
    if d.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device '{device}': CUDA is not available here")
        if d.index is not None and d.index >= torch.cuda.device_count():
            raise ValueError(f"device '{device}': only {torch.cuda.device_count()} CUDA device(s) present")
    return d


@torch.no_grad()
def extract_features(images: Dataset, module: nn.Module, batch_size: int = 50,
                     device: str | torch.device | None = None, progress: bool = False,
                     desc: str = "features") -> np.ndarray:
    """Features ``[N, D]`` (float64) of a dataset of ``uint8 [3, H, W]`` images through ``module``."""
    from tqdm import tqdm

    dev = resolve_device(device)
    module = module.to(dev).eval()
    loader = torch.utils.data.DataLoader(images, batch_size=batch_size, shuffle=False, num_workers=0)
    out = []
    for batch in tqdm(loader, desc=desc, unit="batch", disable=not progress, leave=False):
        feats = module(batch.to(dev))
        feats = feats[0] if isinstance(feats, tuple | list) else feats
        out.append(feats.double().cpu())
    return torch.cat(out).numpy()


def cache_file(cache_dir: str | Path, reference_key: str, feature_name: str, backend: str) -> Path:
    """Where the reference statistics of (``reference_key``, feature network, backend) are cached."""
    desc = json.dumps({"reference": reference_key, "features": feature_name, "backend": backend}, sort_keys=True)
    return Path(cache_dir).expanduser() / f"fid-stats-{hashlib.sha256(desc.encode()).hexdigest()[:20]}.npz"


def reference_statistics(reference: Dataset, module: nn.Module, feature_name: str | None = None,
                         cache_dir: str | Path | None = None, reference_key: str | None = None,
                         batch_size: int = 50, device: str | torch.device | None = None,
                         progress: bool = False) -> tuple[np.ndarray, np.ndarray, Path | None]:
    """(mu, sigma, cache path or None) of ``reference`` under ``module``, read from / written to
    ``cache_dir`` when it and ``reference_key`` are given."""
    path = None
    if cache_dir is not None:
        if not reference_key or not feature_name:
            raise ValueError("caching reference statistics needs a reference_key and a feature_name")
        path = cache_file(cache_dir, reference_key, feature_name, "pytorch-fid")
        if path.is_file():
            with np.load(path) as z:
                if str(z["reference_key"]) == reference_key and str(z["feature_name"]) == feature_name:
                    return z["mu"], z["sigma"], path
    mu, sigma = fid_statistics(extract_features(reference, module, batch_size, device, progress, "reference"))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, mu=mu, sigma=sigma, count=len(reference), reference_key=reference_key,
                 feature_name=feature_name)
        tmp.replace(path)
    return mu, sigma, path


def _first(dataset: Dataset, count: int | None, what: str) -> Dataset:
    if count is None:
        return dataset
    if count < 2:
        raise ValueError(f"{what}: at least 2 images are needed, got num_samples={count}")
    if len(dataset) < count:
        raise ValueError(f"{what}: {count} requested but only {len(dataset)} available")
    return dataset if len(dataset) == count else Subset(dataset, range(count))


class _Tensors(Dataset):
    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def _as_dataset(images: Dataset | torch.Tensor) -> Dataset:
    """torch-fidelity takes ``Dataset`` instances only: wrap a ``uint8 [N, 3, H, W]`` tensor."""
    return _Tensors(images) if isinstance(images, torch.Tensor) else images


@contextlib.contextmanager
def _on_device(dev: torch.device) -> Iterator[None]:
    """torch-fidelity moves its work with ``.cuda()``: make ``cuda:N`` the current device meanwhile."""
    if dev.type == "cuda":
        with torch.cuda.device(dev):
            yield
    else:
        yield


def _torch_fidelity_extractor(feature_module: nn.Module | None, feature_name: str | None,
                              weights_path: str | None) -> tuple[dict[str, Any], str]:
    """(torch-fidelity keyword args naming the feature extractor, its description for cache keys)."""
    import torch_fidelity
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

    if feature_module is None:
        path = find_weights("Inception-v3 (torch-fidelity)", weights_path, INCEPTION_FILE, INCEPTION_URL)
        return ({"feature_extractor": "inception-v3-compat", "feature_extractor_weights_path": str(path)},
                f"torch-fidelity-{torch_fidelity.__version__}/inception-v3-compat/{path.name}:{path.stat().st_size}")
    # one registry entry per feature name (re-registered each call: the module may differ)
    name = ("spikevision-" + hashlib.sha256(feature_name.encode()).hexdigest()[:16] if feature_name
            else f"spikevision-module-{next(_counter)}")
    FEATURE_EXTRACTORS_REGISTRY[name] = _wrap_module(feature_module)
    return {"feature_extractor": name}, f"torch-fidelity-{torch_fidelity.__version__}/{feature_name}"


def required_weights(backend: str, metrics: Sequence[str], weights_path: str | None = None,
                     pytorch_fid_weights: str | None = None) -> list[Path]:
    """The Inception weights files ``compute_metrics`` will read (no feature module); raises
    :class:`~spikevision.losses.pretrained.WeightsNotFoundError` at once for a missing one."""
    pfid = backend == "pytorch-fid" and "fid" in metrics
    paths = []
    if pfid:
        paths.append(find_weights("Inception-v3 (pytorch-fid)", pytorch_fid_weights, PYTORCH_FID_FILE,
                                  PYTORCH_FID_URL))
    if any(not (pfid and m == "fid") for m in metrics):
        paths.append(find_weights("Inception-v3 (torch-fidelity)", weights_path, INCEPTION_FILE, INCEPTION_URL))
    return paths


_counter = itertools.count()


def compute_metrics(samples: str | Path | Dataset | torch.Tensor, reference: Dataset | torch.Tensor,
                    metrics: Sequence[str] = METRICS, weights_path: str | None = None,
                    feature_module: nn.Module | None = None, batch_size: int = 64,
                    kid_subset_size: int = 1000, prc_neighborhood: int = 3,
                    device: str | None = None, *, backend: str = "torch-fidelity",
                    pytorch_fid_weights: str | None = None, dims: int = 2048,
                    num_samples: int | None = None, cache_dir: str | Path | None = None,
                    reference_key: str | None = None, feature_name: str | None = None,
                    progress: bool = False) -> dict[str, float]:
    """FID / IS / KID / precision-recall of ``samples`` against ``reference``.

    ``backend``: who computes FID (``torch-fidelity`` or ``pytorch-fid``; the other metrics always
    come from torch-fidelity). ``feature_module=None`` → the backend's Inception-v3 from
    ``weights_path`` (torch-fidelity's file) / ``pytorch_fid_weights`` (pytorch-fid's file) or the
    hub cache; every needed file is checked before any work (clear error offline). ``dims``:
    pytorch-fid's feature block. ``num_samples``: use exactly the first N samples (an error when
    fewer exist; papers report FID-10k / FID-50k). ``cache_dir`` + ``reference_key`` (a string
    naming dataset, split and preprocessing) cache the reference features/statistics on disk;
    with a ``feature_module`` a ``feature_name`` is also needed. ``device``: ``cpu``, ``cuda`` or
    ``cuda:N``. Returns torch-fidelity's keys, e.g. ``frechet_inception_distance``.
    """
    import torch_fidelity

    unknown = set(metrics) - set(METRICS)
    if unknown or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {METRICS}, got {list(metrics)}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if cache_dir is not None and (not reference_key or (feature_module is not None and not feature_name)):
        raise ValueError("cache_dir needs a reference_key (and a feature_name with a feature_module)")
    dev = resolve_device(device)
    pfid = backend == "pytorch-fid" and "fid" in metrics
    tf_metrics = [m for m in metrics if not (pfid and m == "fid")]
    # every weights file first: fail fast, before loading a network or reading any image
    if feature_module is None:
        required_weights(backend, metrics, weights_path, pytorch_fid_weights)
    pfid_module = None
    if pfid:
        pfid_module = feature_module if feature_module is not None else PytorchFidInception(pytorch_fid_weights, dims)
    tf_kwargs, tf_name = ({}, "") if not tf_metrics else _torch_fidelity_extractor(
        feature_module, feature_name, weights_path)
    if isinstance(samples, str | Path):
        samples = PngFolder(samples)
    samples, reference = _as_dataset(samples), _as_dataset(reference)
    samples = _first(samples, num_samples, "samples")
    n_ref, n_smp = len(reference), len(samples)
    result: dict[str, float] = {}
    if pfid:
        name = feature_name if feature_module is not None else pfid_module.name
        mu_r, sigma_r, _ = reference_statistics(reference, pfid_module, name, cache_dir, reference_key,
                                                batch_size, dev, progress)
        mu_s, sigma_s = fid_statistics(extract_features(samples, pfid_module, batch_size, dev, progress, "samples"))
        result[FID_KEY] = frechet_distance(mu_s, sigma_s, mu_r, sigma_r, "pytorch-fid")
    if tf_metrics:
        cuda = dev.type == "cuda"
        if cache_dir is not None:
            digest = cache_file(cache_dir, reference_key, tf_name, "torch-fidelity").stem
            tf_kwargs.update(cache=True, cache_root=str(Path(cache_dir).expanduser() / "torch-fidelity"),
                             input2_cache_name=digest)
        else:
            tf_kwargs["cache"] = False
        with _on_device(dev):
            out = torch_fidelity.calculate_metrics(
                input1=samples, input2=reference, cuda=cuda, batch_size=batch_size,
                fid="fid" in tf_metrics, isc="isc" in tf_metrics, kid="kid" in tf_metrics,
                prc="prc" in tf_metrics, kid_subset_size=min(kid_subset_size, n_ref, n_smp),
                prc_neighborhood=prc_neighborhood, isc_splits=max(1, min(10, n_smp // 2)),
                save_cpu_ram=not cuda,  # CPU: no loader workers
                verbose=progress, samples_find_deep=False, **tf_kwargs)
        result.update({k: float(v) for k, v in out.items()})
    return result
