"""Evaluate a combined SpikeCLIP checkpoint stage by stage on a dataset split.

    python -m spikevision.cli.spikeclip_evaluate COMBINED.pt --config CONFIG.yaml
        [--split test] [--limit N] [-o OUTDIR] [--batch-size 64]
        [--niqe-params FILE] [--brisque-weights FILE] [--lpips-weights FILE] [key=value ...]

The dataset is the config's ``data.params.<split>`` node (any stage config of the run). Rows:
``stage1``, ``stage3`` (fine-tuned SNN) and/or ``refined`` (refiner), and for spike data the
classical ``tfp`` / ``tfi`` reconstructions. Columns: PSNR/SSIM (torchmetrics) and LPIPS (VGG,
when its weights are available) against the dataset's ``image``, NIQE and BRISQUE (pyiqa; lower
is better), CLIP zero-shot accuracy and mean P(high quality) of the stage-2 prompts. Writes
``metrics.json``, ``metrics.md`` and ``samples.png`` into OUTDIR; metrics that cannot be
computed offline are listed with the reason.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spikevision.cli.console import console_main
from spikevision.errors import SpikevisionError

COLUMNS = [("psnr", "PSNR ↑"), ("ssim", "SSIM ↑"), ("lpips", "LPIPS ↓"), ("niqe", "NIQE ↓"),
           ("brisque", "BRISQUE ↓"), ("clip_acc", "CLIP acc ↑"), ("p_hq", "P(HQ) ↑")]


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikeclip_evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path, help="combined checkpoint (spikeclip_combine)")
    p.add_argument("--config", required=True, help="a config whose data section gives the dataset")
    p.add_argument("--split", default="test", choices=["train", "validation", "test"])
    p.add_argument("--limit", type=int, help="evaluate only the first N samples")
    p.add_argument("-o", "--output", type=Path, help="output folder (default: next to the checkpoint)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument("--niqe-params", help="NIQE pristine parameters (.npz or .mat; default: bundled)")
    p.add_argument("--brisque-weights", help="pyiqa brisque_svm_weights.pth (default: pyiqa cache)")
    p.add_argument("--lpips-weights", help="VGG16 weights for LPIPS (default: torch hub cache)")
    p.add_argument("--title", default="", help="title of the Markdown table")
    return p


def raw_spikes(dataset: Any, index: int) -> np.ndarray | None:
    """The spike frames behind item ``index`` of a spike dataset (N-Digits spikes, UHSR), else None."""
    if getattr(dataset, "modality", None) == "spikes" and hasattr(dataset, "source"):
        return dataset.source.spikes(int(dataset.indices[index]))
    recordings = getattr(dataset, "recordings", None)
    if recordings is not None and type(dataset).__name__ == "UHSR":
        return dataset._parsed(recordings[index])
    return None


def spike_baselines(dataset: Any, batch: dict[str, Any], size: tuple[int, int]) -> dict[str, torch.Tensor]:
    """TFP (mean rate over the whole stream) and TFI (middle frame), each scaled to max 1."""
    from spikevision.spikes import tfi, tfp

    out: dict[str, list[torch.Tensor]] = defaultdict(list)
    for i in batch["index"].tolist():
        spikes = raw_spikes(dataset, i)
        if spikes is None:
            return {}
        n = spikes.shape[0]
        for name, img in (("tfp", tfp(spikes, n // 2, n)), ("tfi", tfi(spikes, n // 2))):
            t = torch.from_numpy(np.asarray(img, np.float32))[None, None]
            t = torch.nn.functional.interpolate(t, size=size, mode="area")[0]
            out[name].append(t / t.max().clamp(min=1e-6))
    return {k: torch.stack(v) for k, v in out.items()}


def build_lpips(weights: str | None) -> tuple[Any, str]:
    """(LPIPS module or None, reason when None)."""
    try:
        from spikevision.losses.lpips_loss import LPIPS
    except ImportError as err:
        return None, f"LPIPS unavailable: {err}"
    try:
        return LPIPS(vgg_weights=weights).eval(), ""
    except (SpikevisionError, FileNotFoundError) as err:
        return None, f"LPIPS skipped: {err}"


def markdown_table(results: dict[str, dict[str, float]], title: str, n: int, notes: list[str]) -> str:
    present = [(k, h) for k, h in COLUMNS if any(k in r for r in results.values())]
    lines = [f"### {title}" if title else "", "", f"{n} samples.", "",
             "| method | " + " | ".join(h for _, h in present) + " |",
             "|---|" + "---:|" * len(present)]
    for method, r in results.items():
        cells = [f"{r[k]:.4f}" if k in ("ssim", "lpips", "clip_acc", "p_hq") and k in r
                 else f"{r[k]:.2f}" if k in r else "–" for k, _ in present]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines).lstrip() + "\n"


@torch.no_grad()
def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from torchmetrics.functional.image import (
        peak_signal_noise_ratio,
        structural_similarity_index_measure,
    )
    from tqdm import tqdm

    from spikevision.cli.spikeclip_infer import input_panel, resolve_device, save_png
    from spikevision.metrics.iqa import NoReferenceIQA
    from spikevision.models.spikeclip.pipeline import SpikeClipPipeline
    from spikevision.registry import instantiate_from_config, merge_configs
    from spikevision.visualize import side_by_side, to_rgb

    opt, overrides = get_parser().parse_known_args(argv)
    device = resolve_device(opt.device)
    pipe = SpikeClipPipeline.from_file(opt.checkpoint, device)
    config = merge_configs([opt.config], overrides)
    data = instantiate_from_config(config.data, key_path="data")
    dataset = data.dataset(opt.split)
    if opt.limit:
        dataset = torch.utils.data.Subset(dataset, range(min(opt.limit, len(dataset))))
    base = dataset.dataset if isinstance(dataset, torch.utils.data.Subset) else dataset
    loader = torch.utils.data.DataLoader(dataset, batch_size=opt.batch_size, shuffle=False)
    iqa = NoReferenceIQA(opt.niqe_params, opt.brisque_weights)
    notes = [f"NIQE/BRISQUE on images upscaled (bicubic) to ≥ {iqa.min_side} px a side"]
    if iqa.brisque_error is not None:
        notes.append(f"BRISQUE skipped: {iqa.brisque_error}")
    lpips, why = build_lpips(opt.lpips_weights)
    if why:
        notes.append(why)
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    n, sample_panels = 0, []
    for batch in tqdm(loader, desc="evaluate", unit="batch"):
        x = batch["input"].to(device)
        labels = batch["label"].to(device)
        outs = pipe.reconstruct(x)
        size = tuple(next(iter(outs.values())).shape[-2:])
        outs.update({k: v.to(device) for k, v in spike_baselines(base, batch, size).items()})
        target = batch["image"].to(device) if "image" in batch else None
        bs = x.shape[0]
        for method, img in outs.items():
            s = sums[method]
            s["clip_acc"] += float((pipe.classify(img).argmax(-1) == labels).float().sum())
            q = pipe.quality(img)
            if q is not None:
                s["p_hq"] += float(q.sum())
            s["niqe"] += float(iqa.niqe(img).sum())
            if iqa.brisque_error is None:
                s["brisque"] += float(iqa.brisque(img).sum())
            if target is not None:
                s["psnr"] += float(peak_signal_noise_ratio(img, target, data_range=1.0, reduction="none",
                                                          dim=(1, 2, 3)).sum())
                s["ssim"] += float(structural_similarity_index_measure(img, target, data_range=1.0,
                                                                      reduction="none").sum())
                if lpips is not None:
                    lp = lpips.to(device)(to_rgb(img) * 2 - 1, to_rgb(target) * 2 - 1)
                    s["lpips"] += float(lp.sum())
        if len(sample_panels) == 0:
            k = min(8, bs)
            panels = [torch.stack([input_panel(x[i].cpu()) for i in range(k)])]
            panels += [to_rgb(outs[m][:k].cpu()) for m in outs]
            if target is not None:
                panels.append(to_rgb(target[:k].cpu()))
            sample_panels = [side_by_side(panels)]
        n += bs
    results = {m: {k: v / n for k, v in s.items()} for m, s in sums.items()}
    out_dir = opt.output or opt.checkpoint.parent / f"eval_{opt.split}"
    out_dir.mkdir(parents=True, exist_ok=True)
    if "image" in batch and getattr(base, "target", None) is not None:
        notes.append("PSNR/SSIM/LPIPS are against the dataset's target image (UHSR: the TFI of the same spikes)")
    order = " | ".join(["input", *outs.keys()] + (["ground truth"] if target is not None else []))
    payload = {"checkpoint": str(opt.checkpoint), "config": opt.config, "split": opt.split, "samples": n,
               "methods": results, "notes": notes, "samples_png_columns": order}
    (out_dir / "metrics.json").write_text(json.dumps(payload, indent=2))
    table = markdown_table(results, opt.title, n, notes)
    (out_dir / "metrics.md").write_text(table)
    if sample_panels:
        save_png(torch.cat([p for p in sample_panels[0]], dim=-2), out_dir / "samples.png", 4)
    print("\n" + table)
    print(f"samples ({order}): {out_dir / 'samples.png'}")
    print(f"metrics table: {out_dir / 'metrics.md'}")
    payload["table_path"] = str(out_dir / "metrics.md")
    return payload


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv, expected=(FileNotFoundError,))


if __name__ == "__main__":
    main()
