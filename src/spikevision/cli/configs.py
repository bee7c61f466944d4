"""The shipped configs and run scripts: list them, say where they are, print a merged stack.

    spikevision configs [--pattern GLOB]               list train/ and sample/ (relative paths)
    spikevision configs --where                        print the config root only
    spikevision configs SOURCE ... [key=value ...]     print the merged config, unresolved

A SOURCE is a YAML file or a run script (``train/stage_1/run_snn_recon_ndigits.sh``: the configs
and overrides it launches), relative to the working directory or to the config root
(:func:`spikevision.resources.config_root`: the working directory, the checkout, or the files an
installed package ships), so this works the same from a checkout and after ``pip install .``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from omegaconf import OmegaConf

from spikevision.cli.console import console_main, split_overrides
from spikevision.resources import config_root, shipped_files


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikevision configs", description=__doc__.split("\n\n")[0])
    p.add_argument("sources", nargs="*", metavar="SOURCE|key=value",
                   help="YAML files or run scripts to merge and print, then overrides "
                        "(default: list the shipped configs)")
    p.add_argument("--where", action="store_true", help="print the config root and exit")
    p.add_argument("--pattern", default="*", metavar="GLOB",
                   help="with no SOURCE, list only files whose name matches (e.g. 'run_*.sh', '*.yaml')")
    return p


def run(argv: Sequence[str] | None = None) -> str:
    """Print (and return) the root, the file list, or the merged config of the sources."""
    p = get_parser()
    opt = p.parse_intermixed_args(argv)
    sources, overrides = split_overrides(opt.sources)
    if opt.where:
        text = str(config_root())
    elif sources:
        from spikevision.cli.launch_scripts import merged_config

        text = OmegaConf.to_yaml(merged_config(sources, overrides), resolve=False).rstrip()
    elif overrides:
        p.error("key=value overrides need a SOURCE to apply to")
    else:
        text = "\n".join([f"# config root: {config_root()}", *map(str, shipped_files(opt.pattern))])
    print(text)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: a config not found (or another of our errors) is one line, status 2."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
