"""Evidence: temporal vs vanilla codebook on N-Digits events at equal code budget.

Trains stage 1 (spiking VQ-VAE) and stage 2 (spiking GPT) for each codebook with the same
settings (same n_e = 128 codes of embed_dim 32 per step; the temporal code is one 4-step
trajectory per position, the vanilla code one vector per step), samples event data and reports

- reconstruction PSNR / SSIM of the stage-1 model on the validation split,
- temporal consistency of sampled event frames: the mean correlation between consecutive time
  steps' frames (real data gives the reference value),
- FID (and KID) of the samples' event images against the validation split, with a feature
  extractor trained here on N-Digits (a small CNN digit classifier's penultimate layer).

Usage: python benchmarks/compare_codebooks.py [--epochs1 3] [--epochs2 4] [--samples 256] [--logdir logs/compare]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch import nn

from spikevision.cli.launch_scripts import script_arguments
from spikevision.cli.train import run as train
from spikevision.data.ndigits import NDigits
from spikevision.metrics.fidelity import FidelityImages, compute_metrics

REPO = Path(__file__).resolve().parents[1]
REP = {"kind": "frames", "num_bins": 4}


def consecutive_correlation(frames: torch.Tensor) -> float:
    """Mean Pearson correlation between frames t and t+1 (per sample, both polarities). ``[N, T, C, H, W]``."""
    a, b = frames[:, :-1].flatten(2), frames[:, 1:].flatten(2)
    a, b = a - a.mean(-1, keepdim=True), b - b.mean(-1, keepdim=True)
    corr = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp(min=1e-8)
    return float(corr.mean())


class DigitNet(nn.Module):
    """Small CNN on event images (uint8 RGB 32×32) → (64-d features, 10 logits)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(64 * 8 * 8, 64), nn.ReLU())
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.body(x.float() / 255.0)
        return feats, self.head(feats)


def train_feature_net(epochs: int = 3) -> tuple[DigitNet, float]:
    """Train the digit classifier on N-Digits event images; return it and its test accuracy."""
    torch.manual_seed(0)
    train_ds = NDigits("train", representation=REP)
    test_ds = NDigits("test", representation=REP)
    imgs = FidelityImages(train_ds, key="input", crop=32)
    x = torch.stack([imgs[i] for i in range(len(imgs))])
    y = torch.tensor([train_ds[i]["label"] for i in range(len(train_ds))])
    net = DigitNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(64):
            loss = nn.functional.cross_entropy(net(x[idx])[1], y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    timgs = FidelityImages(test_ds, key="input", crop=32)
    tx = torch.stack([timgs[i] for i in range(len(timgs))])
    ty = torch.tensor([test_ds[i]["label"] for i in range(len(test_ds))])
    with torch.no_grad():
        acc = float((net(tx)[1].argmax(1) == ty).float().mean())
    return net.eval(), acc


class Samples(torch.utils.data.Dataset):
    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs1", type=int, default=3)
    p.add_argument("--epochs2", type=int, default=4)
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--logdir", default="logs/compare_codebooks")
    p.add_argument("--json", default=None)
    opt = p.parse_args()
    net, acc = train_feature_net()
    print(f"feature extractor: digit classifier on N-Digits event images, test accuracy {acc:.3f}")
    val = NDigits("validation", representation=REP)
    reference = FidelityImages(val, key="input", crop=32)
    real = torch.stack([val[i]["input"][..., 1:33, 1:33].clamp(max=1) for i in range(len(val))])
    results = {"real data": {"temporal_corr": consecutive_correlation(real)}}
    for codebook in ("temporal", "vanilla"):
        suffix = "_vanilla" if codebook == "vanilla" else ""
        s1 = train([*script_arguments(f"stage_1/run_snn_vqvae_ndigits{suffix}.sh"),
                    "-l", opt.logdir, "-n", f"vq_{codebook}", "--no-test",
                    f"lightning.trainer.max_epochs={opt.epochs1}", "lightning.trainer.enable_progress_bar=false"])
        s2 = train([*script_arguments(f"stage_2/run_snn_transformer_ndigits{suffix}.sh"),
                    "-l", opt.logdir, "-n", f"prior_{codebook}", "--no-test",
                    f"lightning.trainer.max_epochs={opt.epochs2}", "lightning.trainer.enable_progress_bar=false",
                    f"model.params.first_stage.run={s1.logdir}"])
        prior = s2.model.eval()
        gen = torch.Generator().manual_seed(0)
        frames = torch.cat([prior.decode_codes(prior.sample_codes(64, generator=gen))
                            for _ in range(-(-opt.samples // 64))])[: opt.samples]
        images = Samples(torch.stack([FidelityImages([{"x": f}], key="x")[0] for f in frames]))
        fid = compute_metrics(images, reference, ["fid", "kid"], feature_module=net)
        results[codebook] = {
            "val_psnr": s1.validate_after.get("val/psnr"), "val_ssim": s1.validate_after.get("val/ssim"),
            "prior_val_loss": s2.validate_after.get("val/loss"),
            "temporal_corr": consecutive_correlation(frames.round()),
            "fid": fid["frechet_inception_distance"], "kid": fid["kernel_inception_distance_mean"],
        }
        print(codebook, json.dumps(results[codebook]))
    print("\n| codebook | val PSNR (dB) | val SSIM | prior val loss | consecutive-frame corr."
          " | FID (N-Digits net) | KID |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        cells = [r.get(k) for k in ("val_psnr", "val_ssim", "prior_val_loss", "temporal_corr", "fid", "kid")]
        print(f"| {name} | " + " | ".join("—" if c is None else f"{c:.3f}" for c in cells) + " |")
    if opt.json:
        Path(opt.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
