"""Building trained models from run directories, configs and checkpoints (stage-2 and sampling).

A run is named by its directory (``logs/<timestamp>_<name>``) or a glob such as
``logs/*_snn_vqvae_ndigits`` (the newest match is used); its config is
``configs/*-project.yaml`` and its weights ``checkpoints/last.ckpt``.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from spikevision.errors import CheckpointNotFoundError, ConfigError
from spikevision.registry import instantiate_from_config, load_config
from spikevision.safe_load import read_state_dict


def resolve_run(run: str | Path) -> Path:
    """A run directory, or the newest directory matching a glob pattern."""
    path = Path(run).expanduser()
    if path.is_dir():
        return path
    matches = sorted(p for p in glob.glob(str(path)) if Path(p).is_dir())
    if not matches:
        raise CheckpointNotFoundError(f"no run directory '{run}' (train that stage first, or pass its path)")
    return Path(matches[-1])


def run_files(run: str | Path, ckpt: str | Path | None = None) -> tuple[Path, Path]:
    """(project config, checkpoint) of a run directory; ``ckpt`` overrides ``last.ckpt``."""
    root = resolve_run(run)
    configs = sorted((root / "configs").glob("*-project.yaml"))
    if not configs:
        raise CheckpointNotFoundError(f"run directory {root} has no configs/*-project.yaml")
    ckpt_path = Path(ckpt) if ckpt else root / "checkpoints" / "last.ckpt"
    if not ckpt_path.is_file():
        raise CheckpointNotFoundError(f"checkpoint {ckpt_path} does not exist")
    return configs[-1], ckpt_path


def model_config(spec: dict[str, Any] | DictConfig) -> tuple[DictConfig, Path | None]:
    """A model spec → (model config node, checkpoint). Specs: ``{run: DIR_OR_GLOB[, ckpt]}``,
    ``{config: YAML, ckpt: CKPT}`` (the YAML's ``model`` node) or a target/params node
    (weights from its own ``ckpt_path`` param, if any)."""
    spec = OmegaConf.create(spec) if not isinstance(spec, DictConfig) else spec
    if "run" in spec:
        cfg_path, ckpt = run_files(spec.run, spec.get("ckpt"))
        return load_config(cfg_path).model, ckpt
    if "config" in spec:
        cfg = load_config(spec.config)
        if "model" not in cfg:
            raise ConfigError(f"{spec.config} has no 'model' section")
        return cfg.model, Path(spec.ckpt) if spec.get("ckpt") else None
    if "target" in spec:
        return spec, None
    raise ConfigError(f"a model spec needs 'run', 'config' (+ 'ckpt') or 'target'; got keys {list(spec)}")


def load_matching_state(model: torch.nn.Module, ckpt: str | Path, key_path: str = "model") -> None:
    """Load ``ckpt``'s weights into ``model``: every model key must be there except the
    training-only ``loss.*``/``metrics.*`` entries, and no unknown key may be left over."""
    state = read_state_dict(ckpt)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith(("loss.", "metrics."))]
    if missing or unexpected:
        raise ConfigError(f"{key_path}: checkpoint {ckpt} does not match the model:"
                          f" missing {missing[:5]}, unexpected {unexpected[:5]}")


def build_model(spec: dict[str, Any] | DictConfig, key_path: str = "model",
                **param_overrides: Any) -> torch.nn.Module:
    """Instantiate the model of ``spec`` (see :func:`model_config`) and load its checkpoint
    (strict, except for training-only ``loss.*``/``metrics.*`` entries); eval mode."""
    node, ckpt = model_config(spec)
    node = OmegaConf.merge(node, {"params": param_overrides}) if param_overrides else node
    model = instantiate_from_config(node, key_path=key_path)
    if ckpt is not None:
        load_matching_state(model, ckpt, key_path)
    return model.eval()
