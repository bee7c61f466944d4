"""The ``spikevision`` command: one entry point, one subcommand per tool.

    spikevision COMMAND [ARGS ...]        (also: python -m spikevision COMMAND ...)
    spikevision COMMAND --help            that command's own options
    spikevision --version

Each subcommand hands its arguments unchanged to ``main(argv)`` of the module that does the
work (``spikevision train`` is ``python main.py``, i.e. :mod:`spikevision.cli.train`), so
``spikevision X ...`` and ``python -m spikevision.cli.X ...`` behave the same. Modules are
imported only when their command runs: ``spikevision --help`` does not load torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib import metadata

PROG = "spikevision"

# subcommand -> (module whose main(argv) runs it, one-line description for `spikevision --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("spikevision.cli.train", "train and/or test a model from YAML configs (as main.py)"),
    "sample": ("spikevision.cli.sample", "sample images or events from a stage-2 prior"),
    "fidelity": ("spikevision.cli.fidelity", "FID/IS/KID/PRC of samples against a dataset split"),
    "generation-evaluate": ("spikevision.cli.generation_evaluate",
                            "judge an N-Digits generator with a digit classifier (recognised share, FID)"),
    "spike-convert": ("spikevision.cli.spike_convert", "spike-camera .dat -> PNG frame or video"),
    "build-spike-pairs": ("spikevision.cli.build_spike_pairs",
                          "simulate (spike window, frame) pairs from videos"),
    "spikeclip-combine": ("spikevision.cli.spikeclip_combine",
                          "SpikeCLIP stage exports -> one inference checkpoint"),
    "spikeclip-infer": ("spikevision.cli.spikeclip_infer",
                        "run a SpikeCLIP checkpoint on event/spike recordings"),
    "spikeclip-evaluate": ("spikevision.cli.spikeclip_evaluate",
                           "evaluate a SpikeCLIP checkpoint stage by stage"),
    "spikeclip-official": ("spikevision.cli.spikeclip_official",
                           "the official SpikeCLIP release's weights -> a stage-1 export"),
    "demo": ("spikevision.cli.demo", "CPU demos on N-Digits: recon, generation, SpikeCLIP, JSCC"),
    "configs": ("spikevision.cli.configs", "list the shipped configs and run scripts, print a merged stack"),
    "jscc-evaluate": ("spikevision.cli.jscc_evaluate", "SNR sweep of stereo JSCC models vs JPEG/WebP"),
    "jscc-send": ("spikevision.cli.jscc_send", "send one stereo pair through a JSCC model"),
}


def version() -> str:
    """The installed distribution's version; the package's ``__version__`` when not installed."""
    try:
        return metadata.version("spikevision")
    except metadata.PackageNotFoundError:
        from spikevision import __version__

        return __version__


def command_list() -> str:
    """The ``commands:`` block of ``spikevision --help``: one line per command."""
    width = max(map(len, COMMANDS)) + 2
    return "commands:\n" + "\n".join(f"  {name:<{width}}{description}"
                                      for name, (_, description) in COMMANDS.items())


def get_parser() -> argparse.ArgumentParser:
    """The top-level parser: ``--help`` (with the command list), ``--version``, command choice."""
    p = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s [-h] [--version] COMMAND [ARGS ...]",
        description="Spiking neural networks for neuromorphic vision (event and spike cameras).",
        epilog=f"{command_list()}\n\nRun '{PROG} COMMAND --help' for the options of a command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keep the list's lines as written
    )
    p.add_argument("--version", action="version", version=f"{PROG} {version()}")
    # listed in the epilog (argparse's own subcommand list wraps long names onto two lines);
    # the real parser of each command is its module's own
    sub = p.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS, required=True)
    for name in COMMANDS:
        sub.add_parser(name, add_help=False)
    return p


def run_command(name: str, argv: Sequence[str]) -> None:
    """Import the command's module and call its ``main(argv)``."""
    module = importlib.import_module(COMMANDS[name][0])
    module.main(list(argv))


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry (``spikevision``): dispatch ``COMMAND ARGS...`` to the command's module.

    Usage errors (no or unknown command, bad option) exit with status 2, as argparse does."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        run_command(args[0], args[1:])
        return
    # --help / --version exit 0; no command or an unknown one: status 2. What is left (e.g.
    # `spikevision -- train ...`) goes to the command, whose parser judges the rest.
    opt, rest = get_parser().parse_known_args(args)
    run_command(opt.command, rest)


if __name__ == "__main__":
    main()
