"""Where the shipped configs and run scripts are: the one resolver every command uses.

A *config root* is a folder laid out as the repository is: ``train/`` (``launch.sh``, ``base/``,
``data/``, ``profiles/``, ``stage_<k>/run_*.sh``), ``sample/`` and ``tests/data/nmnist_sample.bin``
(the N-MNIST recording the SpikeCLIP demo reconstructs). Looked for, in order:

1. the working directory, when it is one (a checkout, or a user's copy of ``train/`` to edit);
2. the source checkout this package runs from (an editable install);
3. ``spikevision/configs/`` inside the installed package, where ``setup.py`` copies those files
   when it builds a wheel (``pip install .``).

Paths in configs, run scripts and commands stay relative to the root (``train/base/x.yaml``).
"""

from __future__ import annotations

from pathlib import Path

from spikevision.errors import ConfigError

PACKAGE_CONFIGS = Path(__file__).resolve().with_name("configs")  # filled by setup.py in a wheel
SOURCE_CHECKOUT = Path(__file__).resolve().parents[2]  # src/spikevision/ -> the checkout
MARKER = Path("train") / "launch.sh"  # what makes a folder a config root
SHIPPED = ("train", "sample")  # the config folders (setup.py ships these and DEMO_RECORDING)
DEMO_RECORDING = Path("tests") / "data" / "nmnist_sample.bin"  # a real N-MNIST recording


def candidate_roots() -> list[Path]:
    """The folders :func:`config_root` tries, in order (working directory, checkout, package)."""
    return [Path.cwd(), SOURCE_CHECKOUT, PACKAGE_CONFIGS]


def _looked_in() -> str:
    return ", ".join(dict.fromkeys(str(root) for root in candidate_roots()))


def config_root() -> Path:
    """The first candidate root holding ``train/launch.sh``; :class:`ConfigError` naming every
    place looked in when there is none (an install without its package data)."""
    for root in candidate_roots():
        if (root / MARKER).is_file():
            return root
    raise ConfigError(f"spikevision's configs (train/launch.sh) not found; looked in {_looked_in()}: "
                      "run from a checkout, or reinstall the package (pip install .) so it ships them")


def find_config(path: str | Path) -> Path:
    """A config, run script or shipped file named by ``path``: ``path`` itself when it exists
    (absolute, or relative to the working directory), else ``path`` under :func:`config_root`
    (``train/base/snn_recon.yaml``, ``train/stage_1/run_snn_recon_ndigits.sh``,
    ``sample/sample_event.yaml``). :class:`ConfigError` naming both places when neither has it."""
    path = Path(path)
    if path.exists() or path.is_absolute():
        if not path.exists():
            raise ConfigError(f"config file not found: {path}")
        return path
    root = config_root()
    if (root / path).exists():
        return root / path
    where = dict.fromkeys([str(Path.cwd()), str(root)])
    raise ConfigError(f"config file not found: {path} (looked in {', '.join(where)})")


def shipped_files(pattern: str = "*") -> list[Path]:
    """Files of the config folders (:data:`SHIPPED`) under :func:`config_root` whose name
    matches ``pattern`` (a glob: ``*.yaml``, ``run_*.sh``), relative to the root, sorted: what
    ``spikevision configs`` lists."""
    root = config_root()
    found = (p.relative_to(root) for folder in SHIPPED for p in (root / folder).rglob(pattern)
             if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found, key=str)
