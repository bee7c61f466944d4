"""Parameter counts and settings of the generation run scripts (seed 002's table), for
docs/generation_configs.md: each stage-1 model and each stage-2 GPT is built at its configured size
on the meta device (no memory, no weights) and its parameters are summed.

    .venv/bin/python benchmarks/generation_params.py [--json out.json]

Stage 1: autoencoder (encoder, decoder, 1×1 convs, codebook) and PatchGAN discriminator apart (the
frozen LPIPS VGG16 is not counted). Stage 2: the GPT over the stage-1 code grid (vocabulary
``n_embed``, block ``(resolution / 16)²``, one start token).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from omegaconf import OmegaConf

from spikevision.cli.launch_scripts import merged_config
from spikevision.registry import instantiate_from_config

REPO = Path(__file__).resolve().parents[1]
DATASETS = ("celeba", "lsun_bedroom", "mnist", "fashionmnist", "cifar10", "nmnist", "cifar10dvs", "ndigits")


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def stage1(dataset: str) -> dict:
    cfg = merged_config([REPO / f"train/stage_1/run_snn_vqvae_{dataset}.sh"])
    cfg.model.params.loss.params.perceptual_weight = 0.0  # LPIPS is frozen: not built, not counted
    with torch.device("meta"):
        model = instantiate_from_config(cfg.model, key_path="model")
    p, net = cfg.model.params, cfg.model.params.network
    devices = cfg.lightning.trainer.get("devices", 1)
    loss = p.loss.params
    return {
        "dataset": dataset, "batch": cfg.data.params.batch_size * (devices if isinstance(devices, int) else 1),
        "per_device_batch": cfg.data.params.batch_size, "epochs": cfg.lightning.trainer.get("max_epochs"),
        "time_steps": p.time_steps, "embed_dim": p.embed_dim, "n_embed": p.n_embed,
        "num_res_blocks": net.num_res_blocks, "resolution": net.resolution, "channels": net.get("in_channels", 3),
        "code_grid": net.resolution // model.downsample,
        "disc_start": f"{loss.disc_start} {loss.disc_start_unit}", "disc_weight": loss.disc_weight,
        "base_lr": cfg.model.base_learning_rate, "seed": cfg.get("seed"),
        "autoencoder_params": count(model) - count(model.loss),
        "discriminator_params": count(model.loss.discriminator),
        "grid": model.downsample, "block": (net.resolution // model.downsample) ** 2, "vocab": p.n_embed,
    }


def stage2(dataset: str, vocab: int, block: int) -> dict:
    cfg = merged_config([REPO / f"train/stage_2/run_snn_transformer_{dataset}.sh"])
    node = OmegaConf.to_container(cfg.model.params.network)
    node["params"].update(vocab_size=vocab, block_size=block, n_cond=1)
    with torch.device("meta"):
        gpt = instantiate_from_config(node, key_path="model.params.network")
    g = node["params"]
    return {"gpt": f"{g['n_layer']}×{g['n_embd']} ({g['n_head']} heads, T={g['time_steps']})",
            "gpt_params": count(gpt), "gpt_base_lr": cfg.model.base_learning_rate, "tokens": block}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    opt = p.parse_args()
    rows = []
    for ds in DATASETS:
        row = stage1(ds)
        row.update(stage2(ds, row["vocab"], row["block"]))
        rows.append(row)
    print("| dataset | batch (per GPU) | epochs | T | res → codes | disc_start | seed | stage 1 AE / disc params"
          " | stage 2 GPT | GPT params |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['batch']} ({r['per_device_batch']}) | {r['epochs']} | {r['time_steps']} | "
              f"{r['resolution']}² ×{r['channels']} → {r['code_grid']}² | {r['disc_start']} | {r['seed']} | "
              f"{r['autoencoder_params'] / 1e6:.2f} M / {r['discriminator_params'] / 1e6:.2f} M | {r['gpt']} | "
              f"{r['gpt_params'] / 1e6:.1f} M |")
    if opt.json:
        opt.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
