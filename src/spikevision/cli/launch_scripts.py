"""Read the config stack of a one-line ``train/stage_*/run_*.sh`` script built on ``train/launch.sh``.

Scripts named relative to ``train/`` are looked up under :func:`spikevision.resources.config_root`
(the working directory, the checkout, or the configs an installed package ships)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from spikevision.errors import ConfigError
from spikevision.resources import config_root, find_config


def launched(script: str | Path) -> tuple[str, list[Path]]:
    """(run name, absolute config paths in merge order) of a ``launch.sh`` run script."""
    script = Path(script)
    line = next((ln for ln in script.read_text().splitlines() if "launch.sh" in ln and not ln.startswith("#")), None)
    if line is None:
        raise ConfigError(f"{script} does not call train/launch.sh")
    words = shlex.split(line)
    start = next(i for i, w in enumerate(words) if w.endswith("launch.sh")) + 1
    end = words.index("--") if "--" in words else len(words)
    train = script.resolve().parent.parent
    return words[start], [train / w for w in words[start + 1:end]]


def run_script(name: str) -> Path:
    """``train/stage_*/run_<name>.sh`` under the config root."""
    train = config_root() / "train"
    found = sorted(train.glob(f"stage_*/run_{name}.sh"))
    if not found:
        raise ConfigError(f"no run script run_{name}.sh under {train}")
    return found[0]


@dataclass(frozen=True)
class Invocation:
    """What a run script passes to ``main.py``: the run name, config files (merge order), overrides."""

    name: str
    configs: list[Path]
    overrides: list[str]


def invocation(script: str | Path, timeout: float = 30.0) -> Invocation:
    """Run ``script`` with a stand-in interpreter that records its arguments, and parse them as
    ``main.py`` would (``--base`` list, ``-n`` or the first config's stem as the name, the
    ``dotted.key=value`` overrides). Works for any script form, one-line launcher or not; config
    paths are taken relative to the folder the script runs ``main.py`` in."""
    from spikevision.cli.train import get_parser

    script = Path(script).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        fake = Path(tmp) / "python"
        fake.write_text("#!/usr/bin/env bash\nprintf '%s\\0' \"$(pwd -P)\" \"$@\"\n")
        fake.chmod(0o755)
        done = subprocess.run([str(script)], capture_output=True, env={**os.environ, "PYTHON": str(fake)},
                              timeout=timeout, check=False)
    if done.returncode != 0:
        raise ConfigError(f"{script} failed with status {done.returncode}: {done.stderr.decode()[-500:]}")
    cwd, *words = done.stdout.decode().split("\0")[:-1] or [""]
    if not words or words[0] != "main.py":
        raise ConfigError(f"{script} does not run main.py (ran {words[:1]})")
    opt, unknown = get_parser().parse_known_args(words[1:])
    overrides = [b for b in opt.base if "=" in b] + unknown
    configs = [Path(cwd) / b for b in opt.base if "=" not in b]
    name = opt.name or (configs[0].stem if configs else "")
    return Invocation(name, configs, overrides)


def script_arguments(script: str | Path) -> list[str]:
    """``main.py`` arguments (``--base CONFIG... OVERRIDE...``) of a run script, given as a path
    relative to ``train/`` (``stage_1/run_snn_vqvae_ndigits.sh``, under the config root) or
    absolute: the demos and benchmarks launch exactly what the script launches, plus their own
    arguments after these."""
    path = Path(script) if Path(script).is_absolute() else find_config(Path("train") / script)
    run = invocation(path)
    return ["--base", *map(str, run.configs), *run.overrides]


def merged_config(sources: Sequence[str | Path], overrides: Sequence[str] = ()) -> DictConfig:
    """Merge ``sources`` left to right, then ``overrides``: each source is a YAML file or a run
    script (``train/stage_1/run_spikeclip_ndigits.sh``), which stands for the configs and overrides
    it launches. This is what ``--config`` of the evaluation commands accepts."""
    from spikevision.registry import merge_configs

    configs: list[str | Path] = []
    launched_overrides: list[str] = []
    for source in sources:
        if str(source).endswith(".sh"):
            run = invocation(find_config(source))
            configs += run.configs
            launched_overrides += run.overrides
        else:
            configs.append(source)
    return merge_configs(configs, [*launched_overrides, *overrides])
