"""Read the config stack of a one-line ``train/stage_*/run_*.sh`` script built on ``train/launch.sh``."""

from __future__ import annotations

import shlex
from pathlib import Path

from spikevision.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]


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
    """``train/stage_*/run_<name>.sh`` of this checkout."""
    found = sorted((REPO / "train").glob(f"stage_*/run_{name}.sh"))
    if not found:
        raise ConfigError(f"no run script run_{name}.sh under {REPO / 'train'}")
    return found[0]
