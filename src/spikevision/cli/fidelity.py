"""Generative metrics of a folder of samples against a dataset split (torch-fidelity / pytorch-fid).

    python -m spikevision.cli.fidelity --samples logs/<run>/samples/<tag>/samples \\
        --config train/stage_1/run_snn_vqvae_ndigits.sh --split validation \\
        [--metrics fid isc kid prc] [--backend torch-fidelity|pytorch-fid] [--num-samples 10000] \\
        [--inception-weights PATH] [--pytorch-fid-weights PATH] [--device cuda:N] [--key input --crop 32]

The reference dataset is ``data.params.<split>`` of ``--config``; ``--key``/``--crop``/``--clip``
default to the config's ``model.params`` (``image_key``, ``crop``, ``input_clip``) when present.

``--backend`` chooses who computes FID: ``torch-fidelity`` (default; all four metrics) or
``pytorch-fid`` (FID from pytorch-fid's InceptionV3 and ``calculate_frechet_distance``, as the
generation papers report it; IS/KID/PRC still from torch-fidelity). Weights are never downloaded:
torch-fidelity's Inception from ``--inception-weights`` or
``~/.cache/torch/hub/checkpoints/weights-inception-2015-12-05-6726825d.pth``; pytorch-fid's from
``--pytorch-fid-weights`` or ``~/.cache/torch/hub/checkpoints/pt_inception-2015-12-05-6726825d.pth``
(a missing file stops the command at once, with its URL). ``--num-samples N`` uses exactly the
first N samples (FID-10k / FID-50k; an error when fewer exist). Reference statistics are cached in
``--cache-dir`` (keyed by the dataset node, split, preprocessing and feature network;
``--no-cache`` to recompute).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spikevision.cli.console import console_main
from spikevision.cli.launch_scripts import merged_config
from spikevision.errors import ConfigError, SpikevisionError
from spikevision.metrics.fidelity import (
    BACKENDS,
    FID_DIMS,
    METRICS,
    FidelityImages,
    PngFolder,
    compute_metrics,
    required_weights,
    resolve_device,
)
from spikevision.registry import instantiate_from_config
from spikevision.stages import model_config


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/spikevision/fidelity`` (``~/.cache/spikevision/fidelity``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "spikevision" / "fidelity"


def reference_settings(sources: str | Sequence[str]) -> tuple[dict, dict]:
    """(data section, data-conversion defaults) of a train config (files merged left to right, or a
    run script standing for the configs it launches); a stage-2 config defers to its first stage's
    model params."""
    sources = [sources] if isinstance(sources, str) else list(sources)
    cfg = merged_config(sources)
    if "data" not in cfg:
        raise ConfigError(f"{' '.join(sources)} has no 'data' section")
    params = cfg.get("model", {}).get("params", {}) or {}
    if "first_stage" in params:
        try:
            params = model_config(params.first_stage)[0].get("params", {})
        except SpikevisionError:
            params = {}
    defaults = {"key": params.get("image_key", "image"), "crop": params.get("crop"),
                "clip": params.get("input_clip") or 1.0}
    return cfg.data, defaults


def reference_key(node: Any, split: str, key: str, crop: int | None, clip: float, limit: int | None) -> str:
    """The cache key of a reference: its dataset node (resolved), split and preprocessing."""
    from omegaconf import OmegaConf

    try:
        spec = OmegaConf.to_container(node, resolve=True)
    except Exception:  # an unresolvable interpolation: key on the raw text
        spec = OmegaConf.to_container(node, resolve=False)
    return json.dumps({"dataset": spec, "split": split, "key": key, "crop": crop, "clip": clip, "limit": limit},
                      sort_keys=True, default=str)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikevision.cli.fidelity", description=__doc__.split("\n")[0])
    p.add_argument("--samples", required=True, help="folder of sample PNGs")
    p.add_argument("--config", required=True, nargs="+", metavar="CONFIG",
                   help="train configs merged left to right, or a run script (train/stage_*/run_*.sh); "
                        "their data section gives the reference")
    p.add_argument("--split", default="validation", choices=("train", "validation", "test"))
    p.add_argument("--metrics", nargs="+", default=list(METRICS), choices=METRICS)
    p.add_argument("--backend", default="torch-fidelity", choices=BACKENDS,
                   help="who computes FID (IS/KID/PRC always come from torch-fidelity)")
    p.add_argument("--inception-weights", default=None, help="torch-fidelity Inception-v3 .pth")
    p.add_argument("--pytorch-fid-weights", default=None,
                   help="pytorch-fid Inception .pth (pt_inception-2015-12-05-6726825d.pth)")
    p.add_argument("--dims", type=int, default=2048, choices=FID_DIMS, help="pytorch-fid feature block")
    p.add_argument("--num-samples", type=int, default=None,
                   help="use exactly the first N samples (e.g. 10000 or 50000 as in papers)")
    p.add_argument("--key", default=None, help="dataset item entry (image or input)")
    p.add_argument("--crop", type=int, default=None)
    p.add_argument("--clip", type=float, default=None)
    p.add_argument("--limit", type=int, default=None, help="use at most this many reference items")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available)")
    p.add_argument("--cache-dir", default=None,
                   help=f"reference statistics cache (default: {default_cache_dir()})")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the reference cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", default=None, help="also write the results to this file")
    return p


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    opt = get_parser().parse_args(argv)
    try:
        device = resolve_device(opt.device)
    except (ValueError, RuntimeError) as err:
        raise ConfigError(f"--device: {err}") from None
    required_weights(opt.backend, opt.metrics, opt.inception_weights, opt.pytorch_fid_weights)  # fail fast
    samples = PngFolder(opt.samples)
    if opt.num_samples is not None and len(samples) < opt.num_samples:
        raise ConfigError(f"--num-samples {opt.num_samples}: only {len(samples)} PNGs in '{opt.samples}'")
    data, defaults = reference_settings(opt.config)
    node = data.params.get(opt.split)
    if node is None:
        raise ConfigError(f"{opt.config}: data.params.{opt.split} is not configured")
    key, crop, clip = opt.key or defaults["key"], opt.crop or defaults["crop"], opt.clip or defaults["clip"]
    dataset = instantiate_from_config(node, key_path=f"data.params.{opt.split}")
    reference = FidelityImages(dataset, key, crop, clip, opt.limit)
    cache_dir = None if opt.no_cache else (opt.cache_dir or default_cache_dir())
    result = compute_metrics(samples, reference, opt.metrics, opt.inception_weights,
                             batch_size=opt.batch_size, device=str(device), backend=opt.backend,
                             pytorch_fid_weights=opt.pytorch_fid_weights, dims=opt.dims,
                             num_samples=opt.num_samples, cache_dir=cache_dir,
                             reference_key=reference_key(node, opt.split, key, crop, clip, opt.limit),
                             progress=not opt.no_progress)
    for k, v in sorted(result.items()):
        print(f"{k}: {v:.6g}")
    info = {"fid_backend": opt.backend if "fid" in opt.metrics else None,
            "fid_dims": opt.dims if opt.backend == "pytorch-fid" else 2048,
            "num_samples": opt.num_samples or len(samples), "num_reference": len(reference),
            "split": opt.split, "device": str(device)}
    print(", ".join(f"{k}: {v}" for k, v in info.items()))
    payload = {**result, **info}
    if opt.json:
        with open(opt.json, "w") as f:
            json.dump(payload, f, indent=2)
    return payload


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv, expected=(FileNotFoundError,))


if __name__ == "__main__":
    main()
