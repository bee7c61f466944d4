"""Sample from a trained stage-2 prior: ``python -m spikevision.cli.sample --base sample/X.yaml``.

    python -m spikevision.cli.sample --base sample/sample_event.yaml [sample.key=value ...]

The YAML's ``sample`` section names the stage-2 run (``run: logs/<dir or glob>``, or ``config`` +
``ckpt``) and the settings of :class:`spikevision.sample.sampler.SampleSettings` plus ``out_dir``
and ``device`` (``auto``: CUDA if available). Writes ``samples/*.png``, ``grid.png``, and for
event data ``gifs/*.gif``, ``grid.gif`` and, with ``time_unfold``, ``unfold/*.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

from omegaconf import OmegaConf

from spikevision.cli.console import console_main
from spikevision.errors import ConfigError
from spikevision.registry import merge_configs
from spikevision.sample.sampler import (
    SampleSettings,
    default_out_dir,
    generate,
    load_prior,
    pick_device,
)
from spikevision.sample.writer import SampleWriter
from spikevision.stages import resolve_run

MODEL_KEYS = ("run", "config", "ckpt")


def run(argv: Sequence[str] | None = None) -> dict[str, Path]:
    """Parse ``argv``, sample, write; return the written paths (``grid``, ``gif``, ``samples`` …)."""
    p = argparse.ArgumentParser(prog="spikevision.cli.sample", description=__doc__.split("\n")[0])
    p.add_argument("-b", "--base", nargs="+", required=True, metavar="CONFIG.yaml")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    opt, overrides = p.parse_known_args(argv)
    # `sample.config=x.yaml` is an override even though it ends in .yaml; a config file's path
    # may hold '=' (runs/lr=1e-4/c.yaml) but then it exists and does not start with a dotted key
    bases = [b for b in opt.base if not (re.match(r"[A-Za-z_][\w.\-]*=", b) and not Path(b).is_file())]
    overrides = [b for b in opt.base if b not in bases] + overrides  # `--base x.yaml k=v` works too
    cfg = merge_configs(bases, overrides)
    if "sample" not in cfg:
        raise ConfigError(f"{bases[0]}: no 'sample' section")
    section = OmegaConf.to_container(cfg.sample, resolve=True)
    spec = {k: section.pop(k) for k in MODEL_KEYS if section.get(k) is not None}
    for k in MODEL_KEYS:
        section.pop(k, None)
    if "run" not in spec and "config" not in spec:
        raise ConfigError("sample: set 'run' (stage-2 log dir or glob) or 'config' + 'ckpt'")
    out_dir, device = section.pop("out_dir", None), section.pop("device", "auto")
    fields = {f.name for f in dataclasses.fields(SampleSettings)}
    unknown = set(section) - fields
    if unknown:
        valid = sorted(fields | {"out_dir", "device", *MODEL_KEYS})
        raise ConfigError(f"sample: unknown keys {sorted(unknown)}; valid: {valid}")
    settings = SampleSettings(**section)
    if "run" in spec:  # one concrete run for the model and the output folder (a glob could re-bind)
        spec["run"] = str(resolve_run(spec["run"]))
    model = load_prior(spec, pick_device(device))
    out = Path(out_dir) if out_dir else default_out_dir(spec, settings)
    writer = SampleWriter(out, event=model.first_stage.event_data, time_unfold=settings.time_unfold,
                          fps=settings.fps)
    paths = generate(model, settings, writer, progress=not opt.no_progress)
    print(f"wrote {settings.num_samples} samples to {paths['samples']}")
    for key in ("grid", "gif", "unfold"):
        if key in paths:
            print(f"{key}: {paths[key]}")
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv)


if __name__ == "__main__":
    main()
