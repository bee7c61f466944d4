"""Turn the official SpikeCLIP release's weights into a stage-1 export, to evaluate them as ours.

    spikevision spikeclip-official LRN_CALTECH.pth --config train/base/spikeclip.yaml \
        train/data/ucaltech.yaml train/base/spikeclip_official_net.yaml [-o EXPORT] [--split test] [key=value ...]

The config stack (files or run scripts, relative to the working directory or the config root)
must build SpikeCLIP's stage 1 with the release's network
(``train/base/spikeclip_official_net.yaml``); its CLIP (``model.params.clip``) judges the
reconstructions later, and the class names come from its dataset's ``--split``. The release's
weights file (a plain state dict, read with ``weights_only=True``) is loaded into the network and
written as a ``recon`` export, by default where the config's stage 1 would write its own
(``${artifacts}/stage1_recon.pt``), so that ``spikeclip-combine --artifacts`` and
``spikeclip-evaluate`` take it as they take a trained stage 1 (docs/spikeclip_official.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from spikevision.cli.console import console_main, parse_with_overrides, split_overrides
from spikevision.errors import ConfigError

OVERLAY = "train/base/spikeclip_official_net.yaml"


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikeclip_official", description=__doc__.split("\n\n")[0])
    p.add_argument("weights", type=Path, help="the release's weights file (e.g. models/LRN_CALTECH.pth)")
    p.add_argument("--config", required=True, nargs="+", metavar="CONFIG",
                   help=f"config files or run scripts building stage 1 with {OVERLAY}")
    p.add_argument("-o", "--output", type=Path, help="export to write (default: the config's export_path)")
    p.add_argument("--split", default="test", choices=["train", "validation", "test"],
                   help="dataset split whose class names the export records (default: test)")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. dataset_root=/data/U-CALTECH")
    return p


def run(argv: Sequence[str] | None = None) -> Path:
    """Build stage 1 from the config, load the release's weights, write the export; its path."""
    from spikevision.cli.launch_scripts import merged_config
    from spikevision.models.spikeclip import SpikeClipReconModel
    from spikevision.models.spikeclip.official_coarse_net import (
        OfficialCoarseNet,
        load_official_weights,
    )
    from spikevision.registry import instantiate_from_config

    opt = parse_with_overrides(get_parser(), argv)
    sources, overrides = split_overrides(opt.config)
    config = merged_config(sources, [*overrides, *opt.overrides])
    model = instantiate_from_config(config.model, key_path="model")
    if not isinstance(model, SpikeClipReconModel) or not isinstance(model.net, OfficialCoarseNet):
        network = type(getattr(model, "net", None)).__name__
        raise ConfigError(f"the config builds {type(model).__name__} with network {network}, not SpikeCLIP's stage 1 "
                          f"with OfficialCoarseNet: stack base/spikeclip.yaml, a UHSR data config and {OVERLAY}")
    load_official_weights(model.net, opt.weights)
    if not model.label_names:
        data = instantiate_from_config(config.data, key_path="data")
        model.label_names = list(data.dataset(opt.split).label_names)
    output = opt.output or model.export_path
    if not output:
        raise ConfigError("no export path: pass -o EXPORT or set model.params.export_path")
    out = model.export(output)
    print(f"stage-1 export of {opt.weights} (official SpikeCLIP network, {len(model.label_names)} classes): {out}")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: our errors and a missing file are one line, status 2."""
    console_main(run, argv, expected=(FileNotFoundError,))


if __name__ == "__main__":
    main()
