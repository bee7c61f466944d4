"""Evaluate a trained generator (stage-2 spiking GPT prior over a stage-1 spiking VQ-VAE) on
N-Digits with a digit classifier trained on N-Digits as the judge (seed 002's claims: samples are
recognisable, not collapsed, and event samples are temporally consistent):

- stage 1 on the ``--split`` data: reconstruction PSNR (per time step for event frames), per-bin
  F1 of the binary event frames, and the classifier's accuracy on the reconstructions;
- ``--samples`` unconditional samples: the share classified with confidence ≥ ``--threshold``,
  the class histogram (collapse shows as a few classes), FID and KID in the classifier's
  64-d feature space against the split's real items, and (events) the consecutive-frame
  correlation of samples next to the real data's;
- ``operations``: MACs, SynOps and the 45 nm energy estimate (:mod:`spikevision.metrics.synops`)
  of stage 1 on one item (encode, quantise, decode) and of one unconditional sample (the prior's
  cached token steps, then the decoder).

    python -m spikevision.cli.generation_evaluate logs/<time>_snn_transformer_ndigits \
        [--samples 512] [--split validation] [--json out.json] [--markdown out.md]
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from spikevision.cli.console import console_main
from spikevision.errors import ConfigError
from spikevision.metrics.digit_classifier import ndigits_classifier
from spikevision.metrics.fidelity import FidelityImages, compute_metrics
from spikevision.metrics.generation import (
    class_statistics,
    consecutive_frame_correlation,
    event_frame_f1,
)
from spikevision.metrics.psnr import psnr_per_image
from spikevision.metrics.synops import count_operations, format_operations
from spikevision.registry import instantiate_from_config
from spikevision.stages import load_trained

log = logging.getLogger(__name__)


class _Items(Dataset):
    """Tensors as dataset items ``{"x": tensor}`` (for :class:`FidelityImages`)."""

    def __init__(self, data: torch.Tensor) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.data[i]}


def still_images(data01: torch.Tensor) -> torch.Tensor:
    """Samples or reconstructions in [0, 1] → ``uint8 [N, 3, H, W]`` as the classifier sees data."""
    items = FidelityImages(_Items(data01), key="x", crop=None, clip=1.0)
    return torch.stack([items[i] for i in range(len(items))])


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikevision.cli.generation_evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="stage-2 run directory (or glob, or a .ckpt inside it)")
    p.add_argument("--checkpoint", default="last", choices=("last", "best"), help="which checkpoint of the run")
    p.add_argument("--split", default="validation", choices=("train", "validation", "test"))
    p.add_argument("--samples", type=int, default=512, help="number of unconditional samples")
    p.add_argument("--limit", type=int, default=None, help="use at most this many real items")
    p.add_argument("--threshold", type=float, default=0.9, help="confidence of a recognised sample")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--json", default=None, help="write the results to this file")
    p.add_argument("--markdown", default=None, help="write a one-row markdown table to this file")
    return p


@torch.no_grad()
def generation_operations(prior: torch.nn.Module, item: torch.Tensor, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Operation counts per item: ``stage1`` (the VQ-VAE on ``item``, one dataset item as a batch of
    one in model space) and ``sample`` (one unconditional sample: prior, then decoder)."""
    stage1 = prior.first_stage
    gen = torch.Generator().manual_seed(seed)
    return {"stage1": count_operations(stage1, lambda: stage1(item)).summary(),
            "sample": count_operations(prior, lambda: prior.decode_codes(prior.sample_codes(1, generator=gen))
                                       ).summary()}


@torch.no_grad()
def evaluate_generator(prior: torch.nn.Module, dataset: Any, modality: str, representation: dict | None,
                       samples: int = 512, threshold: float = 0.9, temperature: float = 1.0,
                       top_k: int | None = None, seed: int = 0, batch_size: int = 128,
                       limit: int | None = None) -> dict[str, Any]:
    """The numbers of the module docstring for a prior (with its ``first_stage``) on an N-Digits
    split ``dataset``; ``modality``/``representation`` select the matching classifier."""
    stage1 = prior.first_stage.eval()
    event = stage1.event_data
    clip = stage1.input_clip or 1.0
    net, net_acc = ndigits_classifier(modality, representation, stage1.crop, clip=clip)
    n = len(dataset) if limit is None else min(limit, len(dataset))
    real = FidelityImages(dataset, key=stage1.image_key, crop=stage1.crop, clip=clip, limit=n)
    labels = torch.tensor([dataset[i]["label"] for i in range(n)])

    # stage 1: reconstructions of the real items
    recs, targets = [], []
    for start in range(0, n, batch_size):
        items = [dataset[i][stage1.image_key] for i in range(start, min(n, start + batch_size))]
        batch = {stage1.image_key: torch.stack(items)}
        x = stage1.get_input(batch)
        rec = stage1.to_unit(stage1(x)[0])
        target = stage1.to_unit(x)
        recs.append(rec)
        targets.append(target)
    rec, target = torch.cat(recs), torch.cat(targets)
    # event frames: one PSNR per time step, as the VQ-VAE's own validation logs it
    psnrs = psnr_per_image(rec.flatten(0, 1), target.flatten(0, 1)) if event else psnr_per_image(rec, target)
    recon_probs = net.probabilities(still_images(rec))
    out: dict[str, Any] = {
        "classifier_test_accuracy": net_acc,
        "real_items": n,
        "stage1_psnr": float(psnrs.mean()),
        "stage1_recon_class_accuracy": float((recon_probs.argmax(1) == labels).float().mean()),
    }
    if event:
        out["stage1_event_f1"] = event_frame_f1(rec, target)

    # stage 2: unconditional samples
    gen = torch.Generator().manual_seed(seed)
    chunks, left = [], samples
    while left > 0:
        k = min(left, batch_size)
        chunks.append(prior.decode_codes(prior.sample_codes(k, temperature=temperature, top_k=top_k, generator=gen)))
        left -= k
    fake = torch.cat(chunks)
    fake_images = still_images(fake)
    out.update({f"samples_{k}": v for k, v in class_statistics(net.probabilities(fake_images), threshold).items()})
    out["samples"] = samples
    fid = compute_metrics(fake_images, real, ["fid", "kid"], feature_module=net,
                          batch_size=batch_size, kid_subset_size=min(1000, samples, n))
    out["fid_classifier"] = fid["frechet_inception_distance"]
    out["kid_classifier"] = fid["kernel_inception_distance_mean"]
    if event:
        out["samples_consecutive_corr"] = consecutive_frame_correlation(fake.round())
        out["real_consecutive_corr"] = consecutive_frame_correlation(target)
    item = stage1.get_input({stage1.image_key: dataset[0][stage1.image_key][None]})
    out["operations"] = generation_operations(prior, item, seed)
    return out


def markdown_row(name: str, r: dict[str, Any]) -> str:
    cells = [r.get("stage1_psnr"), r.get("stage1_event_f1"), r.get("stage1_recon_class_accuracy"),
             r.get("samples_confident_share"), r.get("samples_max_class_share"), r.get("fid_classifier"),
             r.get("kid_classifier"), r.get("samples_consecutive_corr"), r.get("real_consecutive_corr")]
    return f"| {name} | " + " | ".join("—" if c is None else f"{c:.3f}" for c in cells) + " |"


MARKDOWN_HEADER = ("| run | stage-1 PSNR (dB) | event F1 | recon. class acc. | samples ≥ 0.9 conf. "
                   "| max class share | FID (digit net) | KID | consecutive corr. (samples) | (real) |\n"
                   "|---|---|---|---|---|---|---|---|---|---|")


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    opt = get_parser().parse_args(argv)
    if opt.samples < 2:
        raise ConfigError(f"--samples must be at least 2, got {opt.samples}")
    prior, config, ckpt = load_trained(opt.run, prefer=opt.checkpoint)
    if not hasattr(prior, "sample_codes") or not hasattr(prior, "first_stage"):
        raise ConfigError(f"{opt.run}: not a stage-2 generation run (its model is {type(prior).__name__})")
    node = (config.get("data") or {}).get("params", {}).get(opt.split)
    if node is None:
        raise ConfigError(f"{opt.run}: its config has no data.params.{opt.split}; pick --split")
    if not str(node.get("target", "")).endswith("NDigits"):
        raise ConfigError(f"{opt.run}: the digit classifier judges N-Digits samples; this run's data is "
                          f"{node.get('target')}")
    dataset = instantiate_from_config(node, key_path=f"data.params.{opt.split}")
    params = node.get("params") or {}
    modality = params.get("modality", "events")
    representation = dict(params["representation"]) if params.get("representation") else None
    result = evaluate_generator(prior, dataset, modality, representation, opt.samples, opt.threshold,
                                opt.temperature, opt.top_k, opt.seed, opt.batch_size, opt.limit)
    result.update(run=str(opt.run), checkpoint=str(ckpt), split=opt.split)
    for k, v in result.items():
        if k != "operations":
            print(f"{k}: {v}")
    for k, v in result["operations"].items():
        print(f"operations ({k}): {format_operations(v)}")
    if opt.json:
        Path(opt.json).parent.mkdir(parents=True, exist_ok=True)
        Path(opt.json).write_text(json.dumps(result, indent=2))
    if opt.markdown:
        Path(opt.markdown).write_text(MARKDOWN_HEADER + "\n" + markdown_row(Path(opt.run).name, result) + "\n")
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: usage errors and our errors exit with status 2, without a traceback."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
