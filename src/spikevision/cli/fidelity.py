"""Generative metrics of a folder of samples against a dataset split (torch-fidelity).

    python -m spikevision.cli.fidelity --samples logs/<run>/samples/<tag>/samples \\
        --config train/stage_1/run_snn_vqvae_ndigits.sh --split validation \\
        [--metrics fid isc kid prc] [--inception-weights PATH] [--key input --crop 32]

The reference dataset is ``data.params.<split>`` of ``--config``; ``--key``/``--crop``/``--clip``
default to the config's ``model.params`` (``image_key``, ``crop``, ``input_clip``) when present.
Inception-v3 weights come from ``--inception-weights`` or the torch hub cache
(``~/.cache/torch/hub/checkpoints/weights-inception-2015-12-05-6726825d.pth``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from spikevision.cli.console import console_main
from spikevision.cli.launch_scripts import merged_config
from spikevision.errors import ConfigError, SpikevisionError
from spikevision.metrics.fidelity import METRICS, FidelityImages, compute_metrics
from spikevision.registry import instantiate_from_config
from spikevision.stages import model_config


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


def run(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(prog="spikevision.cli.fidelity", description=__doc__.split("\n")[0])
    p.add_argument("--samples", required=True, help="folder of sample PNGs")
    p.add_argument("--config", required=True, nargs="+", metavar="CONFIG",
                   help="train configs merged left to right, or a run script (train/stage_*/run_*.sh); "
                        "their data section gives the reference")
    p.add_argument("--split", default="validation", choices=("train", "validation", "test"))
    p.add_argument("--metrics", nargs="+", default=list(METRICS), choices=METRICS)
    p.add_argument("--inception-weights", default=None, help="torch-fidelity Inception-v3 .pth")
    p.add_argument("--key", default=None, help="dataset item entry (image or input)")
    p.add_argument("--crop", type=int, default=None)
    p.add_argument("--clip", type=float, default=None)
    p.add_argument("--limit", type=int, default=None, help="use at most this many reference items")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default=None)
    p.add_argument("--json", default=None, help="also write the results to this file")
    opt = p.parse_args(argv)
    data, defaults = reference_settings(opt.config)
    node = data.params.get(opt.split)
    if node is None:
        raise ConfigError(f"{opt.config}: data.params.{opt.split} is not configured")
    dataset = instantiate_from_config(node, key_path=f"data.params.{opt.split}")
    reference = FidelityImages(dataset, opt.key or defaults["key"], opt.crop or defaults["crop"],
                               opt.clip or defaults["clip"], opt.limit)
    result = compute_metrics(opt.samples, reference, opt.metrics, opt.inception_weights,
                             batch_size=opt.batch_size, device=opt.device)
    for k, v in sorted(result.items()):
        print(f"{k}: {v:.6g}")
    if opt.json:
        with open(opt.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv, expected=(FileNotFoundError,))


if __name__ == "__main__":
    main()
