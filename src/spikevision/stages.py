"""Stage hand-off: how a trained stage is found, read and passed to the next one.

Every consumer of a trained stage (a stage-2 prior on its VQ-VAE, a SpikeCLIP stage on the
previous stage's export, the sampler on a prior, the JSCC and spike-conversion commands on a
checkpoint) names it by a *reference*, and this module is the one place that turns a reference
into files:

- a **run directory** ``logs/<timestamp>_<name>``: its config is the newest
  ``configs/*-project.yaml``, its weights ``checkpoints/last.ckpt`` (or the best by the model's
  monitor, ``checkpoints/best-*.ckpt``, where the consumer asks for it);
- a **glob** of run directories or files (``logs/*_snn_vqvae_ndigits``): the newest match by name,
  i.e. by the timestamp that starts a run directory's name;
- a **checkpoint** ``.ckpt``: inside a run's ``checkpoints/``, the run's config is found beside it;
- an **export file**: a self-describing ``{format, kind, ...}`` file written by a stage when it
  ends (the SpikeCLIP stages, :mod:`spikevision.models.spikeclip.artifacts`).

:func:`resolve_reference` gives ONE concrete path. :func:`resolve_handoffs` applies it to the
hand-off keys of a merged config before a run is built (``cli/train.py``), so the config saved in
the run directory names the concrete run: a finished stage 2 resumed or sampled later never
re-binds to a newer stage-1 run that happens to match the same glob.

Weights are read with ``torch.load(weights_only=True)`` (:mod:`spikevision.safe_load`): tensors
and plain types only. Weights that do not fit the model raise
:class:`~spikevision.errors.CheckpointMismatchError` naming the file and the first mismatching key.
:func:`best_weights` gives the weights a stage hands on: the best checkpoint by its monitor.
"""

from __future__ import annotations

import contextlib
import glob
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from spikevision.errors import (
    CheckpointError,
    CheckpointMismatchError,
    CheckpointNotFoundError,
    ConfigError,
)
from spikevision.registry import get_obj_from_str, instantiate_from_config, load_config
from spikevision.safe_load import load_weights_only, read_state_dict

log = logging.getLogger(__name__)

GLOB_CHARS = "*?["
#: Config keys that name a previous stage (resolved to a concrete path by :func:`resolve_handoffs`).
HANDOFF_KEYS = (
    "model.params.first_stage.run",  # stage-2 priors: the stage-1 VQ-VAE run
    "model.params.first_stage.ckpt",
    "model.params.ckpt_path",  # a VQ-VAE initialised from a checkpoint
    "model.params.init_from",  # SpikeCLIP stage 3a, JSCC
    "model.params.coarse",  # SpikeCLIP stages 2 and 3b: the stage-1 export
    "model.params.prompts",  # SpikeCLIP stage 3: the stage-2 export
)
#: Parameter names dropped when rebuilding a trained model: its checkpoint holds the weights.
INIT_PARAMS = ("init_from", "ckpt_path")


class ExportFormatError(CheckpointError):
    """A file is not a stage export of the expected format and kind."""


# ---------------------------------------------------------------- references → paths


def is_glob(ref: str | Path) -> bool:
    return any(c in str(ref) for c in GLOB_CHARS)


def resolve_reference(ref: str | Path, want: str = "any", what: str = "previous stage", hint: str = "") -> Path:
    """A run directory, checkpoint/export file or glob → one existing path (``want``: ``dir``,
    ``file`` or ``any``). A glob picks the newest match by name (run directories start with their
    timestamp). :class:`CheckpointNotFoundError` names the reference when nothing fits."""
    if want not in ("any", "dir", "file"):
        raise ValueError(f"want must be any/dir/file, got {want!r}")
    path = Path(ref).expanduser()
    fits = {"any": Path.exists, "dir": Path.is_dir, "file": Path.is_file}[want]
    if fits(path):
        return path
    if is_glob(ref):
        matches = sorted(p for p in glob.glob(str(path)) if fits(Path(p)))
        if matches:
            return Path(matches[-1])
    kind = {"dir": "run directory", "file": "file", "any": "run directory or file"}[want]
    raise CheckpointNotFoundError(f"{what}: no {kind} '{ref}'" + (f". {hint}" if hint else ""))


def resolve_run(run: str | Path) -> Path:
    """A run directory, or the newest directory matching a glob pattern."""
    return resolve_reference(run, "dir", "run", "Train that stage first, or pass its path")


def run_of_checkpoint(ckpt: str | Path) -> Path:
    """The run directory of a checkpoint: ``<run>/checkpoints/x.ckpt`` → ``<run>``, else its folder."""
    ckpt = Path(ckpt)
    return ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent


def run_config_path(run: str | Path, required: bool = True) -> Path | None:
    """The newest ``configs/*-project.yaml`` of a run directory (None if absent and not ``required``)."""
    configs = sorted((Path(run) / "configs").glob("*-project.yaml"))
    if not configs:
        if required:
            raise CheckpointNotFoundError(f"run directory {run} has no configs/*-project.yaml "
                                          "(is it a spikevision run?)")
        return None
    return configs[-1]


def run_config(run: str | Path) -> DictConfig:
    """The merged config a run saved (:func:`run_config_path`)."""
    return load_config(run_config_path(run))


def run_checkpoint(run: str | Path, prefer: str = "last") -> Path:
    """A run's checkpoint: ``last.ckpt`` (``prefer="last"``) or the best by the monitor,
    ``best-*.ckpt``, falling back to ``last.ckpt`` (``prefer="best"``)."""
    ckdir = Path(run) / "checkpoints"
    found = sorted(ckdir.glob("best-*.ckpt")) if prefer == "best" else []
    found = found or sorted(ckdir.glob("last.ckpt"))
    if not found:
        wanted = "best-*.ckpt or last.ckpt" if prefer == "best" else "last.ckpt"
        raise CheckpointNotFoundError(f"run directory {run} has no checkpoints/{wanted}")
    return found[-1]


def resolve_checkpoint(ref: str | Path, prefer: str = "last") -> tuple[Path, Path]:
    """(run directory, checkpoint file) of a run directory, a glob or a checkpoint path."""
    path = resolve_reference(ref, "any", "checkpoint")
    if path.is_dir():
        return path, run_checkpoint(path, prefer)
    return run_of_checkpoint(path), path


def resolve_handoffs(config: DictConfig, keys: Iterable[str] = HANDOFF_KEYS) -> dict[str, str]:
    """Replace every glob among ``keys`` of ``config`` (in place) by the concrete path it matches
    now; returns ``{key: resolved}``. Concrete paths and interpolations that are not globs are
    left as they are."""
    resolved: dict[str, str] = {}
    for key in keys:
        try:
            value = OmegaConf.select(config, key)
        except Exception:  # an interpolation that cannot be resolved here: the model will say why
            continue
        if isinstance(value, str) and is_glob(value):
            want = "dir" if key.endswith(".run") else "any"
            concrete = str(resolve_reference(value, want, key, "Train that stage first, or pass its path"))
            OmegaConf.update(config, key, concrete, merge=False)
            resolved[key] = concrete
            log.info("%s: '%s' resolved to %s (saved in the run's config)", key, value, concrete)
    return resolved


# ---------------------------------------------------------------- weights


def load_matching_state(model: torch.nn.Module, ckpt: str | Path | Mapping[str, torch.Tensor],
                        key_path: str = "model", optional: tuple[str, ...] = ("loss.", "metrics."),
                        source: str | Path | None = None) -> None:
    """Load weights (a checkpoint file or a state dict) into ``model``: every model key must be
    there except those starting with an ``optional`` prefix (training-only parts), no unknown key
    may be left over, and shapes must agree. :class:`CheckpointMismatchError` otherwise, naming
    the file and the first mismatching key."""
    state = read_state_dict(ckpt) if isinstance(ckpt, str | Path) else dict(ckpt)
    where = source or (ckpt if isinstance(ckpt, str | Path) else "the given weights")
    own = model.state_dict()
    for key, value in state.items():
        if key in own and hasattr(value, "shape") and tuple(own[key].shape) != tuple(value.shape):
            raise CheckpointMismatchError(
                f"{key_path}: checkpoint {where} does not match the model: '{key}' has shape "
                f"{tuple(value.shape)} there, {tuple(own[key].shape)} in the model")
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith(optional)]
    if missing or unexpected:
        first = f"missing '{missing[0]}'" if missing else f"unexpected '{unexpected[0]}'"
        raise CheckpointMismatchError(
            f"{key_path}: checkpoint {where} does not match the model: first mismatch {first}"
            f" (missing {missing[:5]}, unexpected {unexpected[:5]})")


def checkpoint_hparams(ckpt: str | Path) -> dict[str, Any]:
    """The ``hyper_parameters`` a Lightning checkpoint stored (read with ``weights_only=True``)."""
    loaded = load_weights_only(ckpt)
    hparams = loaded.get("hyper_parameters", {}) if isinstance(loaded, dict) else {}
    return dict(hparams or {})


# ---------------------------------------------------------------- models


def model_config(spec: Mapping[str, Any] | DictConfig) -> tuple[DictConfig, Path | None]:
    """A model spec → (model config node, checkpoint). Specs: ``{run: DIR_OR_GLOB[, ckpt]}``,
    ``{config: YAML, ckpt: CKPT}`` (the YAML's ``model`` node) or a target/params node
    (weights from its own ``ckpt_path`` param, if any)."""
    spec = OmegaConf.create(spec) if not isinstance(spec, DictConfig) else spec
    if "run" in spec:
        root = resolve_run(spec.run)
        cfg_path = run_config_path(root)
        ckpt = Path(spec.ckpt) if spec.get("ckpt") else root / "checkpoints" / "last.ckpt"
        if not ckpt.is_file():
            raise CheckpointNotFoundError(f"checkpoint {ckpt} does not exist")
        return load_config(cfg_path).model, ckpt
    if "config" in spec:
        cfg = load_config(spec.config)
        if "model" not in cfg:
            raise ConfigError(f"{spec.config} has no 'model' section")
        return cfg.model, Path(spec.ckpt) if spec.get("ckpt") else None
    if "target" in spec:
        return spec, None
    raise ConfigError(f"a model spec needs 'run', 'config' (+ 'ckpt') or 'target'; got keys {list(spec)}")


def build_model(spec: Mapping[str, Any] | DictConfig, key_path: str = "model",
                **param_overrides: Any) -> torch.nn.Module:
    """Instantiate the model of ``spec`` (see :func:`model_config`) and load its checkpoint
    (strict, except for training-only ``loss.*``/``metrics.*`` entries); eval mode."""
    node, ckpt = model_config(spec)
    node = OmegaConf.merge(node, {"params": param_overrides}) if param_overrides else node
    model = instantiate_from_config(node, key_path=key_path)
    if ckpt is not None:
        load_matching_state(model, ckpt, key_path)
    return model.eval()


def load_trained(ref: str | Path, prefer: str = "best", expect: type | None = None,
                 optional: tuple[str, ...] = ()) -> tuple[torch.nn.Module, DictConfig, Path]:
    """(model in eval mode with the checkpoint's weights, the run's config, checkpoint) of a run
    directory, glob or checkpoint inside a run. ``init_from``/``ckpt_path`` parameters are dropped
    (the checkpoint holds the trained weights); ``expect``: the class the model must be."""
    run, ckpt = resolve_checkpoint(ref, prefer)
    config = run_config(run)
    if "model" not in config:
        raise ConfigError(f"{run}: the run config has no 'model' section")
    node = config.model
    params = {k: v for k, v in dict(node.get("params", {}) or {}).items() if k not in INIT_PARAMS}
    model = instantiate_from_config({"target": node.target, "params": params}, key_path="model")
    if expect is not None and not isinstance(model, expect):
        raise ConfigError(f"{run}: model.target is {node.target}, not a {expect.__name__}")
    load_matching_state(model, ckpt, "model", optional=optional)
    return model.eval(), config, ckpt


def checkpoint_model_class(ckpt: str | Path, config: str | Path | None = None, default: type | None = None) -> type:
    """The LightningModule class of a checkpoint: from ``config`` (a run's project YAML), else the
    config of the run around the checkpoint, else ``default``."""
    if config is None:
        config = run_config_path(run_of_checkpoint(Path(ckpt)), required=False)
    if config is None:
        if default is None:
            raise ConfigError(f"{ckpt}: no run config beside it; pass the config")
        return default
    return get_obj_from_str(load_config(config).model.target, key_path="model.target")


def load_lightning_checkpoint(cls: type, ckpt: str | Path, device: str = "cpu", **overrides: Any) -> Any:
    """``cls.load_from_checkpoint`` read with ``weights_only=True`` (Lightning's own checkpoints hold
    tensors and plain types only). ``cls.inference_params`` (a class attribute, optional) are
    applied where the checkpoint's hyper-parameters have them: settings that make inference cheap
    (e.g. no perceptual network). Returns the model in eval mode."""
    hparams = checkpoint_hparams(ckpt)  # CheckpointError if corrupt or holding code (safe_load)
    inference = {k: v for k, v in dict(getattr(cls, "inference_params", {}) or {}).items() if k in hparams}
    try:
        model = cls.load_from_checkpoint(ckpt, map_location=device, weights_only=True, **{**inference, **overrides})
    except (KeyError, RuntimeError, TypeError) as err:
        raise CheckpointMismatchError(f"cannot load {ckpt} as {cls.__name__}: {err}") from err
    return model.eval()


# ---------------------------------------------------------------- export files


def write_export(path: str | Path, fmt: str, kind: str, payload: Mapping[str, Any]) -> Path:
    """Write ``{format, kind, **payload}`` atomically (tensors and plain types only)."""
    from spikevision.atomic_write import atomic_torch_save

    return atomic_torch_save({"format": fmt, "kind": kind, **payload}, path)


def read_export(path: str | Path, fmt: str, kind: str | tuple[str, ...] | None = None,
                label: str = "stage", hint: str = "") -> dict[str, Any]:
    """Read an export (a path or glob), checking its ``format`` and (optionally) ``kind``;
    read with ``weights_only=True``. Clear errors naming the file otherwise."""
    try:
        path = resolve_reference(path, "file", f"{label} export")
    except CheckpointNotFoundError:
        raise CheckpointNotFoundError(f"{label} export not found: {Path(path).expanduser()}."
                                      + (f" {hint}" if hint else "")) from None
    data = load_weights_only(path, f"{label} export")  # tensors and plain types only
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ExportFormatError(f"{path} is not a {label} export (a Lightning .ckpt? use the stage's export file)")
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds and data.get("kind") not in kinds:
        raise ExportFormatError(f"{path} holds a '{data.get('kind')}' export, expected {' or '.join(kinds)}")
    return data


# ---------------------------------------------------------------- what a stage hands on


def best_checkpoint(trainer: Any) -> Path | None:
    """The best checkpoint by the monitored metric of the trainer's ModelCheckpoint, if any."""
    cb = getattr(trainer, "checkpoint_callback", None) if trainer is not None else None
    path = getattr(cb, "best_model_path", "") if cb is not None else ""
    if cb is None or not getattr(cb, "monitor", None) or not path or not Path(path).is_file():
        return None
    return Path(path)


def handed_on_metric(trainer: Any, key: str) -> float | None:
    """``key`` of the weights handed on: the best checkpoint's score when ``key`` is the monitored
    metric and a best checkpoint exists, else the latest value (None without a trainer)."""
    if trainer is None:
        return None
    cb = getattr(trainer, "checkpoint_callback", None)
    if best_checkpoint(trainer) is not None and cb.monitor == key and cb.best_model_score is not None:
        return float(cb.best_model_score)
    return float(trainer.callback_metrics.get(key, float("nan")))


@contextlib.contextmanager
def best_weights(module: torch.nn.Module, trainer: Any = None) -> Iterator[Path | None]:
    """Within the block, ``module`` holds the weights of the best checkpoint by its monitor (the
    ModelCheckpoint's ``best_model_path``); its own weights are put back afterwards. Without a
    monitored checkpoint (no validation) the final weights stay, and a log line says so.
    Yields the checkpoint used, or None."""
    trainer = trainer if trainer is not None else getattr(module, "_trainer", None)
    best = best_checkpoint(trainer)
    if best is None:
        log.info("%s: no best checkpoint by a monitored metric (no validation?): handing on the final weights",
                 type(module).__name__)
        yield None
        return
    current = {k: v.detach().clone() for k, v in module.state_dict().items()}
    load_matching_state(module, best, type(module).__name__)
    log.info("%s: handing on the best checkpoint %s", type(module).__name__, best)
    try:
        yield best
    finally:
        module.load_state_dict(current)
