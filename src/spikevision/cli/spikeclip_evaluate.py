"""Evaluate a combined SpikeCLIP checkpoint stage by stage on a dataset split.

    python -m spikevision.cli.spikeclip_evaluate COMBINED.pt --config train/stage_1/run_spikeclip_ndigits.sh
        [--split test] [--limit N] [-o OUTDIR] [--batch-size 64]
        [--niqe-params FILE] [--brisque-weights FILE] [--lpips-weights FILE] [key=value ...]

The dataset is the config's ``data.params.<split>`` node (any stage config of the run); the
evaluation itself is :func:`spikevision.models.spikeclip.evaluation.evaluate_pipeline`. Rows:
``stage1``, ``stage3`` (fine-tuned SNN) and/or ``refined`` (refiner), and for spike data the
classical ``tfp`` / ``tfi`` reconstructions. Columns: PSNR, SSIM (``--ssim``: ``uniform`` =
scikit-image's 7×7 uniform window as in the SpikeCLIP paper, the default; ``gaussian`` =
torchmetrics' 11×11 Gaussian) and LPIPS (VGG,
when its weights are available) against the dataset's ``image``, NIQE and BRISQUE (pyiqa; lower
is better), CLIP zero-shot accuracy and mean P(high quality) of the stage-2 prompts. A second
table gives each reconstruction's MACs, SynOps and 45 nm energy estimate per input
(:mod:`spikevision.metrics.synops`; ``refined`` = stage 1 + refiner; the CLIP judge is not
counted). Writes ``metrics.json``, ``metrics.md``, ``samples.png`` and ``comparison.png`` (the
same columns, titled with each method's PSNR and CLIP accuracy) into OUTDIR; metrics that cannot
be computed offline are listed with the reason.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from spikevision.cli.console import console_main, split_overrides


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikeclip_evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path, help="combined checkpoint (spikeclip_combine)")
    p.add_argument("--config", required=True, nargs="+", metavar="CONFIG",
                   help="config files merged left to right, or a run script (train/stage_*/run_*.sh) standing "
                        "for the configs it launches; their data section gives the dataset")
    p.add_argument("--split", default="test", choices=["train", "validation", "test"])
    p.add_argument("--limit", type=int, help="evaluate only the first N samples")
    p.add_argument("-o", "--output", type=Path, help="output folder (default: next to the checkpoint)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument("--niqe-params", help="NIQE pristine parameters (.npz or .mat; default: bundled)")
    p.add_argument("--brisque-weights", help="pyiqa brisque_svm_weights.pth (default: pyiqa cache)")
    p.add_argument("--lpips-weights", help="VGG16 weights for LPIPS (default: torch hub cache)")
    p.add_argument("--ssim", default="uniform", choices=["uniform", "gaussian"],
                   help="SSIM window: uniform 7×7 (scikit-image, as the SpikeCLIP paper) or gaussian 11×11 "
                        "(torchmetrics, as the training logs)")
    p.add_argument("--title", default="", help="title of the Markdown table")
    return p


@torch.no_grad()
def stage_operations(pipe: Any, x: torch.Tensor) -> dict[str, dict[str, Any]]:
    """``{stage name: OpCount.summary()}`` of each reconstruction of one input ``x`` ``[1, T, C, H, W]``."""
    from spikevision.metrics.synops import count_operations

    ops = {"stage1": count_operations(pipe.stage1, lambda: pipe.stage1(x)).summary()}
    if pipe.stage3 is not None:
        ops["stage3"] = count_operations(pipe.stage3, lambda: pipe.stage3(x)).summary()
    if pipe.refiner is not None:
        ops["refined"] = count_operations(pipe, lambda: pipe.refiner(pipe.stage1(x))).summary()
    return ops


def column_titles(columns: Sequence[str], methods: dict[str, dict[str, float]]) -> list[str]:
    """Figure titles: the column name, and for a method its mean PSNR and CLIP accuracy."""
    titles = []
    for name in columns:
        m = methods.get(name, {})
        extra = [f"{m['psnr']:.2f} dB" if "psnr" in m else "", f"acc {m['clip_acc']:.2f}" if "clip_acc" in m else ""]
        extra = ", ".join(e for e in extra if e)
        titles.append(f"{name}\n{extra}" if extra else name)
    return titles


@torch.no_grad()
def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from spikevision.cli.launch_scripts import merged_config
    from spikevision.cli.spikeclip_infer import resolve_device, save_png
    from spikevision.metrics.synops import operations_table
    from spikevision.models.spikeclip.evaluation import evaluate_pipeline, markdown_table
    from spikevision.models.spikeclip.pipeline import SpikeClipPipeline
    from spikevision.registry import instantiate_from_config
    from spikevision.visualize import titled_columns

    opt, overrides = get_parser().parse_known_args(argv)
    device = resolve_device(opt.device)
    pipe = SpikeClipPipeline.from_file(opt.checkpoint, device)
    opt.config, given = split_overrides(opt.config)  # `--config X.sh key=value`: nargs='+' took both
    config = merged_config(opt.config, [*given, *overrides])
    data = instantiate_from_config(config.data, key_path="data")
    dataset = data.dataset(opt.split)
    result = evaluate_pipeline(pipe, dataset, device, opt.batch_size, opt.limit,
                               opt.niqe_params, opt.brisque_weights, opt.lpips_weights, ssim=opt.ssim)
    operations = stage_operations(pipe, dataset[0]["input"][None].to(device))
    out_dir = opt.output or opt.checkpoint.parent / f"eval_{opt.split}"
    out_dir.mkdir(parents=True, exist_ok=True)
    order = " | ".join(result.columns)
    payload = {"checkpoint": str(opt.checkpoint), "config": opt.config, "split": opt.split,
               "samples": result.samples, "methods": result.methods, "notes": result.notes, "ssim": result.ssim,
               "samples_png_columns": order, "operations": operations}
    (out_dir / "metrics.json").write_text(json.dumps(payload, indent=2))
    table = markdown_table(result.methods, opt.title, result.samples, result.notes, result.ssim)
    table += "\n" + operations_table(operations, unit="input")
    (out_dir / "metrics.md").write_text(table)
    if result.panel is not None:
        save_png(torch.cat(list(result.panel), dim=-2), out_dir / "samples.png", 4)
        titled_columns(result.tiles, column_titles(result.columns, result.methods), out_dir / "comparison.png")
    print("\n" + table)
    print(f"samples ({order}): {out_dir / 'samples.png'}")
    print(f"labelled comparison: {out_dir / 'comparison.png'}")
    print(f"metrics table: {out_dir / 'metrics.md'}")
    payload["table_path"] = str(out_dir / "metrics.md")
    return payload


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv, expected=(FileNotFoundError,))


if __name__ == "__main__":
    main()
