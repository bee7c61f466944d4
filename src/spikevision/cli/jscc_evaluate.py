"""SNR sweep of trained stereo JSCC models, with the separation baseline.

    python -m spikevision.cli.jscc_evaluate RUN_OR_CKPT [RUN_OR_CKPT ...] [--names A B ...]
        [--snr -5 -2.5 0 ...] [--channels awgn rayleigh] [--no-csi] [--split test]
        [--data CONFIG.yaml] [--limit N] [--baseline jpeg webp|none] [--design-snr DB]
        [--device auto] [-o OUTDIR] [--title TEXT]

Each model is rebuilt from its run's config and best checkpoint. The test pairs are the
``data.params.<split>`` node of the first run's config (or of ``--data``). Writes
``jscc_sweep.json`` (one row per model × channel × SNR), ``jscc_sweep.md`` (the table: PSNR,
MS-SSIM, ρ, firing rate, MACs and synaptic operations vs the CNN's MACs) and
``jscc_sweep.png`` (PSNR and MS-SSIM against SNR, the separation baseline dashed).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from spikevision.cli.console import console_main
from spikevision.errors import ConfigError
from spikevision.models.jscc.evaluation import (
    CHANNELS,
    collect_batches,
    default_snrs,
    model_details,
    sweep_model,
    sweep_separation,
)
from spikevision.models.jscc.loading import load_jscc
from spikevision.models.jscc.report import markdown_table, plot_sweep
from spikevision.registry import instantiate_from_config, load_config


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jscc_evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+", help="run directories or .ckpt files")
    p.add_argument("--names", nargs="+", help="display names, one per checkpoint (default: run names)")
    p.add_argument("--snr", nargs="+", type=float, default=None, help="test SNRs in dB (default −5 … 15, step 2.5)")
    p.add_argument("--channels", nargs="+", choices=CHANNELS, default=list(CHANNELS))
    p.add_argument("--no-csi", action="store_true", help="Rayleigh without receiver CSI (no equalisation)")
    p.add_argument("--split", default="test", choices=["train", "validation", "test"])
    p.add_argument("--data", help="a config whose data section gives the test pairs (default: the first run's)")
    p.add_argument("--limit", type=int, help="evaluate the first N pairs only")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--baseline", nargs="+", choices=["jpeg", "webp", "none"], default=["jpeg"],
                   help="separation baselines (image codec + capacity-achieving channel code)")
    p.add_argument("--design-snr", type=float,
                   help="SNR the separation code is designed for (default: the first model's eval SNR)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1, ...")
    p.add_argument("-o", "--output", type=Path, default=Path("logs/jscc_sweep"))
    p.add_argument("--title", default=None)
    return p


def test_loader(config_data, split: str, batch_size: int) -> DataLoader:
    node = config_data.get("params", {}).get(split)
    if node is None:
        raise ConfigError(f"data.params.{split}: the config has no '{split}' dataset")
    dataset = instantiate_from_config(node, key_path=f"data.params.{split}")
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)


def run(argv: Sequence[str] | None = None) -> dict:
    args = get_parser().parse_args(argv)
    if args.names and len(args.names) != len(args.checkpoints):
        raise ConfigError(f"--names: {len(args.names)} names for {len(args.checkpoints)} checkpoints")
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else "cpu" if args.device == "auto" else args.device)
    models = [load_jscc(c) for c in args.checkpoints]
    for model, _, _ in models:
        model.to(device)
    data_cfg = load_config(args.data).data if args.data else models[0][1].data
    batches = collect_batches(test_loader(data_cfg, args.split, args.batch_size), args.limit, device)
    if not batches:
        raise ConfigError(f"data.params.{args.split}: the dataset is empty")
    snrs = args.snr or default_snrs()
    rows, details = [], {}
    for i, (model, _, ckpt) in enumerate(models):
        name = args.names[i] if args.names else ckpt.parent.parent.name.split("_", 1)[-1]
        details[name] = {"checkpoint": str(ckpt), **model_details(model, batches)}
        rows += sweep_model(name, model, batches, snrs, args.channels, csi=not args.no_csi, details=details[name])
    h, w = batches[0]["left"].shape[-2:]
    design = args.design_snr if args.design_snr is not None else models[0][0].eval_snr_db
    for codec in dict.fromkeys(c for c in args.baseline if c != "none"):
        rows += sweep_separation(batches, models[0][0].bandwidth_ratio(h, w), snrs, design, codec)
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    pairs = sum(b["left"].shape[0] for b in batches)
    (out / "jscc_sweep.json").write_text(json.dumps({"pairs": pairs, "split": args.split, "rows": rows,
                                                          "models": details}, indent=1))
    (out / "jscc_sweep.md").write_text(markdown_table(rows))
    plot_sweep(rows, out / "jscc_sweep.png", args.title)
    print(f"{len(rows)} rows over {pairs} test pairs → {out}/jscc_sweep.{{json,md,png}}")
    return {"rows": rows, "output": out}


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv)


if __name__ == "__main__":
    main()
