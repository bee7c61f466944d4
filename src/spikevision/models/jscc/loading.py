"""Load a trained stereo JSCC model from a run directory or a checkpoint file.

A run directory (``logs/<timestamp>_<name>``) gives its merged config
(``configs/*-project.yaml``) and its best checkpoint by the model's monitor (``best-*.ckpt``,
else ``last.ckpt``). A bare ``.ckpt`` inside a run's ``checkpoints/`` finds the config beside
it. Weights are read with ``weights_only=True``.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from spikevision.errors import CheckpointNotFoundError, ConfigError
from spikevision.models.jscc.jscc_module import StereoJsccModel, load_weights_file
from spikevision.registry import instantiate_from_config, load_config


def resolve_checkpoint(path: str | Path) -> tuple[Path, Path]:
    """(run directory, checkpoint file) of a run directory or a checkpoint path."""
    path = Path(path).expanduser()
    if path.is_dir():
        ckpts = sorted((path / "checkpoints").glob("best-*.ckpt")) or sorted((path / "checkpoints").glob("last.ckpt"))
        if not ckpts:
            raise CheckpointNotFoundError(f"run directory {path} has no checkpoints/best-*.ckpt or last.ckpt")
        return path, ckpts[-1]
    if not path.is_file():
        raise CheckpointNotFoundError(f"no run directory or checkpoint '{path}'")
    run = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    return run, path


def run_config(run: Path) -> DictConfig:
    configs = sorted((run / "configs").glob("*-project.yaml"))
    if not configs:
        raise CheckpointNotFoundError(f"{run} has no configs/*-project.yaml (is it a spikevision run?)")
    return load_config(configs[-1])


def load_jscc(path: str | Path) -> tuple[StereoJsccModel, DictConfig, Path]:
    """(model in eval mode with the checkpoint's weights, the run's config, checkpoint path)."""
    run, ckpt = resolve_checkpoint(path)
    config = run_config(run)
    if "model" not in config:
        raise ConfigError(f"{run}: the run config has no 'model' section")
    node = config.model
    params = dict(node.get("params", {}))
    params.pop("init_from", None)  # the checkpoint holds the trained weights already
    model = instantiate_from_config({"target": node.target, "params": params}, key_path="model")
    if not isinstance(model, StereoJsccModel):
        raise ConfigError(f"{run}: model.target is {node.target}, not a stereo JSCC model")
    state = load_weights_file(ckpt)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ConfigError(f"checkpoint {ckpt} does not match its config: missing {missing[:5]},"
                          f" unexpected {unexpected[:5]}")
    return model.eval(), config, ckpt
