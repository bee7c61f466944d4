"""Stage-by-stage evaluation of a combined SpikeCLIP checkpoint on a dataset split.

Rows: ``stage1``, ``stage3`` (fine-tuned SNN) and/or ``refined`` (refiner), and for spike data
the classical ``tfp`` / ``tfi`` reconstructions (datasets that expose their spike frames through
a ``spike_frames(index)`` method). Columns: PSNR, SSIM and LPIPS (VGG, when its
weights are available) against the dataset's ``image``, NIQE and BRISQUE (pyiqa; lower is
better), CLIP zero-shot accuracy and mean P(high quality) of the stage-2 prompts. Metrics that
cannot be computed offline are listed in the notes with the reason.

SSIM is scikit-image's (7×7 uniform window, ``ssim="uniform"``, the default), as in the SpikeCLIP
paper's tables; ``ssim="gaussian"`` gives torchmetrics' 11×11 Gaussian one (the training logs'
``val/ssim``). The table header names the one used.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from spikevision.errors import SpikevisionError

COLUMNS = [("psnr", "PSNR ↑"), ("ssim", "SSIM ↑"), ("lpips", "LPIPS ↓"), ("niqe", "NIQE ↓"),
           ("brisque", "BRISQUE ↓"), ("clip_acc", "CLIP acc ↑"), ("p_hq", "P(HQ) ↑")]


@dataclass
class Evaluation:
    """Mean metrics per method, the number of samples, notes, and a panel of the first batch
    (columns: ``columns``; ``tiles``: the same columns apart, each ``[k, 3, H, W]``)."""

    methods: dict[str, dict[str, float]]
    samples: int
    notes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    panel: torch.Tensor | None = None
    ssim: str = "uniform"
    tiles: list[torch.Tensor] = field(default_factory=list)


def input_panel(x: torch.Tensor) -> torch.Tensor:
    """Input ``[T, C, H, W]`` → RGB ``[3, H, W]``: events ON red / OFF blue, spikes mean rate."""
    from spikevision.visualize import event_frames_rgb, to_rgb

    if x.shape[1] == 2:
        return event_frames_rgb(x.sum(0))
    rate = x.mean(0)[:1]
    return to_rgb(rate / rate.max().clamp(min=1e-6))


def raw_spikes(dataset: Any, index: int) -> np.ndarray | None:
    """The spike frames behind item ``index`` of a dataset that exposes them (``spike_frames``), else None."""
    frames = getattr(dataset, "spike_frames", None)
    return frames(int(index)) if callable(frames) else None


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


def markdown_table(results: dict[str, dict[str, float]], title: str, n: int, notes: list[str],
                   ssim: str = "uniform") -> str:
    from spikevision.metrics.ssim import ssim_label

    present = [(k, f"{ssim_label(ssim)} ↑" if k == "ssim" else h) for k, h in COLUMNS
               if any(k in r for r in results.values())]
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
def evaluate_pipeline(pipe: Any, dataset: Any, device: torch.device | str = "cpu", batch_size: int = 64,
                      limit: int | None = None, niqe_params: str | None = None,
                      brisque_weights: str | None = None, lpips_weights: str | None = None,
                      progress: bool = True, ssim: str = "uniform") -> Evaluation:
    """Evaluate a :class:`~spikevision.models.spikeclip.pipeline.SpikeClipPipeline` on ``dataset``
    (its first ``limit`` items); see the module docstring."""
    from torchmetrics.functional.image import peak_signal_noise_ratio
    from tqdm import tqdm

    from spikevision.metrics.iqa import NoReferenceIQA
    from spikevision.metrics.ssim import SSIM_KINDS, ssim_per_image
    from spikevision.visualize import side_by_side, to_rgb

    if ssim not in SSIM_KINDS:
        raise ValueError(f"ssim must be one of {SSIM_KINDS}, got {ssim!r}")
    base = dataset
    if limit:
        dataset = torch.utils.data.Subset(dataset, range(min(limit, len(dataset))))
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False)
    iqa = NoReferenceIQA(niqe_params, brisque_weights)
    notes = [f"NIQE/BRISQUE on images upscaled (bicubic) to ≥ {iqa.min_side} px a side"]
    if iqa.brisque_error is not None:
        notes.append(f"BRISQUE skipped: {iqa.brisque_error}")
    lpips, why = build_lpips(lpips_weights)
    if why:
        notes.append(why)
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    n, panel, columns, tiles, has_image = 0, None, [], [], False
    for batch in tqdm(loader, desc="evaluate", unit="batch", disable=not progress):
        x = batch["input"].to(device)
        labels = batch["label"].to(device)
        outs = pipe.reconstruct(x)
        size = tuple(next(iter(outs.values())).shape[-2:])
        outs.update({k: v.to(device) for k, v in spike_baselines(base, batch, size).items()})
        target = batch["image"].to(device) if "image" in batch else None
        has_image = target is not None
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
                s["ssim"] += float(ssim_per_image(img, target, ssim, data_range=1.0).sum())
                if lpips is not None:
                    lp = lpips.to(device)(to_rgb(img) * 2 - 1, to_rgb(target) * 2 - 1)
                    s["lpips"] += float(lp.sum())
        if panel is None:
            k = min(8, bs)
            panels = [torch.stack([input_panel(x[i].cpu()) for i in range(k)])]
            panels += [to_rgb(outs[m][:k].cpu()) for m in outs]
            if target is not None:
                panels.append(to_rgb(target[:k].cpu()))
            panel, tiles = side_by_side(panels), panels
            columns = ["input", *outs.keys()] + (["ground truth"] if target is not None else [])
        n += bs
    results = {m: {k: v / n for k, v in s.items()} for m, s in sums.items()}
    if has_image and getattr(base, "target", None) is not None:
        notes.append("PSNR/SSIM/LPIPS are against the dataset's target image (UHSR: the TFI of the same spikes)")
    return Evaluation(results, n, notes, columns, panel, ssim, tiles)
