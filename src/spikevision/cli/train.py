"""The training entry point behind ``main.py``: merge configs, build, fit, test.

    python main.py --base a.yaml [b.yaml ...] [dotted.key=value ...]
                   [-n NAME] [-r LOGDIR_OR_CKPT] [-s SEED] [-l LOGDIR] [--no-test | --test-only]

A run writes ``<logdir>/<timestamp>_<name>/`` with ``configs/`` (the merged config),
``checkpoints/`` (``last.ckpt`` + the best by the model's ``monitor``), ``images/`` and the
loggers' output (CSV + TensorBoard by default, W&B when configured). The run directory is
created exclusively: a second run started with the same name in the same second gets
``<timestamp>_<name>-2`` (then ``-3``, ...) instead of sharing the first one's. ``-n`` and ``-f``
must not contain path separators or ``..``.

Every save of the latest state (periodic, SIGUSR1, SIGTERM, crash, end of training) goes to
``checkpoints/last.ckpt``, written atomically (temp file + rename), so ``-r RUN`` resumes from
the newest state. SIGUSR1 saves it at the next batch end and training goes on; SIGTERM (what
schedulers send before killing a job) saves it and exits with status 143 (128 + 15).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.fabric.plugins.environments import SLURMEnvironment
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from lightning.pytorch.utilities.exceptions import MisconfigurationException, SIGTERMException
from omegaconf import DictConfig, OmegaConf

from spikevision.atomic_write import remove_stale_temporaries
from spikevision.callbacks import AtomicCheckpointIO, SetupRun, SignalCheckpoint
from spikevision.cli.console import console_main
from spikevision.errors import (
    CheckpointMismatchError,
    CheckpointNotFoundError,
    ConfigError,
    NonFiniteError,
)
from spikevision.registry import check_resolvable, instantiate_from_config, merge_configs, to_plain
from spikevision.snn.backend import set_snn_backend
from spikevision.stages import resolve_handoffs

RUN_DIR_ENV = "SPIKEVISION_RUN_DIR"
DEFAULT_SEED = 23
SIGTERM_EXIT_CODE = 143  # 128 + SIGTERM (15), the shell's status for a job ended by SIGTERM


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="main.py",
        description="Train/test a spikevision model from YAML configs. Extra arguments of the form "
        "dotted.key=value override config entries.",
    )
    p.add_argument("-b", "--base", nargs="*", default=[], metavar="CONFIG.yaml",
                   help="config files, merged left to right")
    p.add_argument("-n", "--name", default="", help="run name (default: first config's file name)")
    p.add_argument("-f", "--postfix", default="", help="appended to the run directory name")
    p.add_argument("-r", "--resume", default="", help="log directory or .ckpt to resume from")
    p.add_argument("-s", "--seed", type=int, default=None,
                   help=f"global random seed (default {DEFAULT_SEED}; with -r: the run's saved seed)")
    p.add_argument("-l", "--logdir", default="logs", help="parent directory of run directories")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--no-test", action="store_true", help="skip testing after training")
    mode.add_argument("--test-only", action="store_true",
                      help="skip training; test the model (with -r: the resumed checkpoint)")
    p.add_argument("--validate-first", action="store_true",
                   help="run validation once before training and report its metrics")
    p.add_argument("--dry-run", action="store_true",
                   help="build the model and data, train 2 steps at batch 1 (fake data if the dataset is "
                   "absent), print parameters, step time, peak memory and the estimate for the configured "
                   "batch; writes no run directory (spikevision.cli.dry_run)")
    p.add_argument("--dry-run-batch", type=int, default=1, metavar="N", help="batch of the --dry-run steps")
    p.add_argument("--dry-run-steps", type=int, default=2, metavar="N", help="training steps of --dry-run")
    p.add_argument("--dry-run-size", type=int, default=None, metavar="S",
                   help="crop --dry-run's fake inputs to at most S×S pixels (a quick check of a big config)")
    return p


@dataclass
class RunPaths:
    """Where a run lives and what it resumes from."""

    logdir: Path
    ckpt: Path | None
    timestamp: str
    resumed_configs: list[Path] = field(default_factory=list)

    @property
    def ckptdir(self) -> Path:
        return self.logdir / "checkpoints"


def resolve_resume(resume: str) -> tuple[Path, Path]:
    """A log dir or ``.ckpt`` → (run directory, checkpoint file); clear error if missing."""
    path = Path(resume).expanduser()
    if not path.exists():
        raise CheckpointNotFoundError(f"cannot resume from '{resume}': no such file or directory")
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml", ".json"):
        raise ConfigError(f"-r '{resume}' is a config file; -r takes a run directory or a .ckpt file "
                          "to resume from (pass configs with --base)")
    if path.is_file():
        logdir = path.parent.parent if path.parent.name == "checkpoints" else path.parent
        return logdir, path
    # newest of last.ckpt, the last-v*.ckpt that runs made before every save went to last.ckpt, and
    # the hpc_ckpt_*.ckpt Lightning writes into the run directory before a SLURM requeue
    lasts = sorted([*(path / "checkpoints").glob("last*.ckpt"), *path.glob("hpc_ckpt_*.ckpt")],
                   key=lambda p: p.stat().st_mtime)
    ckpt = lasts[-1] if lasts else path / "checkpoints" / "last.ckpt"
    if not ckpt.is_file():
        found = sorted(p.name for p in (path / "checkpoints").glob("*.ckpt"))
        hint = f" Checkpoints there: {found}; pass one with -r <file>." if found else ""
        raise CheckpointNotFoundError(f"cannot resume from '{resume}': {ckpt} does not exist.{hint}")
    return path, ckpt


def check_run_name(value: str, flag: str) -> str:
    """``value`` of ``-n``/``-f``, refused if it could place the run outside ``--logdir``."""
    seps = {"/", os.sep, os.altsep} - {None}
    if any(sep in value for sep in seps) or ".." in value:
        raise ConfigError(f"{flag} '{value}': a run name cannot contain path separators or '..' "
                          "(use -l to choose the parent directory)")
    return value


def plan_run(opt: argparse.Namespace, now: str) -> RunPaths:
    """Decide the run directory (new or resumed) without touching the disk (a new one is
    created by :func:`claim_run_dir`)."""
    if opt.resume:
        logdir, ckpt = resolve_resume(opt.resume)
        configs = sorted((logdir / "configs").glob("*-project.yaml"))
        return RunPaths(logdir, ckpt, now, configs[-1:])
    inherited = os.environ.get(RUN_DIR_ENV)
    is_child = int(os.environ.get("LOCAL_RANK", "0")) > 0 or int(os.environ.get("NODE_RANK", "0")) > 0
    if inherited and is_child:  # a DDP worker re-launched by Lightning: reuse rank 0's directory
        return RunPaths(Path(inherited), None, now)
    if not opt.base:
        raise ConfigError("no config given: pass --base config.yaml (or -r to resume a run)")
    name = check_run_name(opt.name, "-n") or Path(opt.base[0]).stem
    return RunPaths(Path(opt.logdir) / f"{now}_{name}{check_run_name(opt.postfix, '-f')}", None, now)


def run_stamp() -> str:
    """The run directory's prefix: the start time, or under a multi-task SLURM job (``srun``
    starts every rank itself) ``slurm-<job id>``, which every rank computes alike, so all ranks
    agree on the run directory without talking to each other."""
    job, tasks = os.environ.get("SLURM_JOB_ID"), int(os.environ.get("SLURM_NTASKS") or 1)
    if job and tasks > 1 and SLURMEnvironment.detect():
        return f"slurm-{job}"
    return datetime.datetime.now().strftime("%Y-%m-%dT%H-%M-%S")


LOCK_FILE = ".spikevision.lock"
_held_locks: dict[str, Any] = {}  # run dir → open lock file: released by the OS when this process ends


def lock_run_dir(logdir: Path) -> None:
    """Take the run directory's exclusive lock (``flock`` on ``<run>/.spikevision.lock``), or refuse
    if another process holds it: two processes training into one run (e.g. two ``-r`` of the same
    run) would overwrite each other's checkpoints. A killed process's lock goes with it."""
    import fcntl

    key = str(logdir.resolve())
    if key in _held_locks and not _held_locks[key].closed and (logdir / LOCK_FILE).exists():
        return  # this process holds it already (a second run() in the same process)
    logdir.mkdir(parents=True, exist_ok=True)
    fh = open(logdir / LOCK_FILE, "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise ConfigError(f"{logdir} is in use by {holder}; wait for it to finish (or stop it) before "
                          "resuming this run") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}\n")
    fh.flush()
    _held_locks[key] = fh


def claim_run_dir(logdir: Path) -> Path:
    """Create ``logdir`` exclusively (``os.mkdir`` fails if it exists, atomically, even between
    processes); if taken, use ``logdir-2``, ``logdir-3``, ... Returns the directory created."""
    logdir.parent.mkdir(parents=True, exist_ok=True)
    candidate, n = logdir, 1
    while True:
        try:
            os.mkdir(candidate)
            return candidate
        except FileExistsError:
            n += 1
            candidate = logdir.with_name(f"{logdir.name}-{n}")


def is_first_process() -> bool:
    """True unless this process is a non-zero rank of a distributed job (Lightning's DDP
    children, torchrun, or an ``srun`` task): only the first creates the run directory."""
    keys = ["RANK", "LOCAL_RANK", "NODE_RANK"] + (["SLURM_PROCID"] if SLURMEnvironment.detect() else [])
    return all(int(os.environ.get(k) or 0) == 0 for k in keys)


def count_devices(trainer_cfg: dict[str, Any]) -> int:
    """Number of devices per node implied by the Trainer's ``devices``/``accelerator``."""
    devices = trainer_cfg.get("devices", "auto")
    accelerator = str(trainer_cfg.get("accelerator", "auto"))
    if isinstance(devices, list | tuple):
        return len(devices)
    if isinstance(devices, str) and devices not in ("auto", "-1"):
        return len([d for d in devices.split(",") if d.strip()]) if "," in devices else int(devices)
    if isinstance(devices, int) and devices > 0:
        return devices
    uses_gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    return max(1, torch.cuda.device_count()) if uses_gpu else 1


def scale_learning_rate(model: pl.LightningModule, config: DictConfig, trainer_cfg: dict[str, Any]) -> None:
    """``lr = accumulate × devices × nodes × batch × base_lr`` (taming's rule), printed."""
    base_lr = config.model.get("base_learning_rate")
    if base_lr is None:
        return
    batch = int(config.data.params.batch_size)
    accumulate = int(trainer_cfg.get("accumulate_grad_batches", 1) or 1)
    devices = count_devices(trainer_cfg)
    nodes = int(trainer_cfg.get("num_nodes", 1) or 1)
    if config.model.get("scale_lr", True):
        model.learning_rate = accumulate * devices * nodes * batch * float(base_lr)
        rank_zero_info(
            f"learning rate {model.learning_rate:.3e} = {accumulate} (accumulate) × {devices} (devices)"
            f" × {nodes} (nodes) × {batch} (batch) × {float(base_lr):.3e} (base_lr)"
        )
    else:
        model.learning_rate = float(base_lr)
        rank_zero_info(f"learning rate {model.learning_rate:.3e} (not scaled)")


def check_trainer_args(trainer_cfg: dict[str, Any]) -> None:
    """Clear errors for Trainer arguments of the wrong type (``max_steps=abc``: the Trainer's
    default is a number, the value a string) and for a GPU accelerator on a machine without one."""
    import inspect

    params = inspect.signature(pl.Trainer.__init__).parameters
    for key, value in trainer_cfg.items():
        if key not in params or not isinstance(value, str):
            continue
        hint = str(params[key].annotation)  # e.g. "typing.Optional[int]", "<class 'int'>"
        if "str" in hint or "Literal" in hint or not re.search(r"\b(int|float|bool)\b", hint):
            continue
        expected = "true/false" if re.search(r"\bbool\b", hint) else "a number"
        raise ConfigError(f"lightning.trainer.{key}: expected {expected} (Trainer takes {hint.replace('typing.', '')}),"
                          f" got {value!r}")
    accelerator = str(trainer_cfg.get("accelerator", "auto")).lower()
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(f"lightning.trainer.accelerator={accelerator}, but this machine has no usable "
                          "CUDA GPU (torch.cuda.is_available() is False); use accelerator: cpu (or auto)")


def default_loggers(logdir: Path, version: str) -> dict[str, Any]:
    """CSV + TensorBoard under the run dir; one version folder per invocation, so a resumed run
    adds to the logs instead of overwriting them."""
    return {
        "csv": {"target": "lightning.pytorch.loggers.CSVLogger",
                "params": {"save_dir": str(logdir), "name": "csv", "version": version}},
        "tensorboard": {"target": "lightning.pytorch.loggers.TensorBoardLogger",
                        "params": {"save_dir": str(logdir), "name": "tensorboard", "version": version}},
    }


def default_callbacks(paths: RunPaths, model: pl.LightningModule, has_val: bool) -> dict[str, Any]:
    monitor = getattr(model, "monitor", None) if has_val else None
    ckpt_params: dict[str, Any] = {
        "dirpath": str(paths.ckptdir), "filename": "{epoch:04}-{step:06}", "save_last": True,
        "save_top_k": 1, "verbose": False,
        # overwrite last.ckpt (written by SignalCheckpoint, the crash handler and the final save
        # too) instead of moving on to last-v1.ckpt, which -r would not pick up
        "enable_version_counter": False,
    }
    if monitor:
        ckpt_params.update(monitor=monitor, mode=getattr(model, "monitor_mode", "min"),
                           filename="best-{epoch:04}-{step:06}", auto_insert_metric_name=False)
    return {
        "checkpoint": {"target": "lightning.pytorch.callbacks.ModelCheckpoint", "params": ckpt_params},
        "lr_monitor": {"target": "lightning.pytorch.callbacks.LearningRateMonitor",
                       "params": {"logging_interval": "step"}},
        "image_logger": {"target": "spikevision.callbacks.ImageLogger",
                         "params": {"batch_frequency": 500, "max_images": 8}},
        "nonfinite": {"target": "spikevision.callbacks.nonfinite_guard.NonFiniteGuard",
                      "params": {"action": "stop", "max_skips": 10}},
        # per-layer firing rates at validation/test (no-op without spiking layers); curves PNG at fit end
        "firing_rates": {"target": "spikevision.callbacks.firing_rates.FiringRates", "params": {}},
        "training_curves": {"target": "spikevision.callbacks.training_curves.TrainingCurves", "params": {}},
    }


def build_from_section(defaults: dict[str, Any], user: Any, section: str,
                       inject: dict[str, Any] | None = None) -> list[Any]:
    """Merge user entries over defaults by name (``null`` disables one) and instantiate each."""
    merged = OmegaConf.merge(OmegaConf.create(defaults), user or {})
    built = []
    for name, node in merged.items():
        if node is None:
            continue
        node = OmegaConf.to_container(node, resolve=True)
        if inject and "WandbLogger" in str(node.get("target", "")):
            node.setdefault("params", {}).setdefault("save_dir", inject["save_dir"])
        built.append(instantiate_from_config(node, key_path=f"{section}.{name}"))
    return built


@dataclass
class RunResult:
    """What a run produced, for programmatic callers (the demo, tests)."""

    logdir: Path
    trainer: pl.Trainer
    model: pl.LightningModule
    data: pl.LightningDataModule
    validate_before: dict[str, float] = field(default_factory=dict)
    validate_after: dict[str, float] = field(default_factory=dict)
    test_metrics: dict[str, float] = field(default_factory=dict)


def reset_metric_states(model: pl.LightningModule) -> None:
    """Re-create torchmetrics states outside inference mode (a standalone ``validate`` leaves
    inference tensors behind, which the training loop's validation cannot update in place)."""
    from torchmetrics import Metric

    for module in model.modules():
        if isinstance(module, Metric):
            module.reset()


def _metrics(results: list[dict[str, Any]] | None) -> dict[str, float]:
    return {k: float(v) for r in (results or []) for k, v in r.items()}


def checkpoint_mismatch(ckpt: Path, err: RuntimeError) -> CheckpointMismatchError:
    """torch's multi-line ``load_state_dict`` error → one line naming the file and the first key."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    first = next((ln for ln in lines[1:] if ln.startswith(("size mismatch", "Missing", "Unexpected"))),
                 lines[-1] if lines else str(err))
    return CheckpointMismatchError(f"{ckpt}: its weights do not fit the configured model ({first}); resume "
                                   "without overrides that change the network, or start a new run")


def save_after_failure(trainer: pl.Trainer, err: BaseException, path: Path) -> None:
    """Save the state a failed fit reached. ``Trainer.save_checkpoint`` is a collective (every
    rank must call it, or the others wait forever), so under DDP it runs only for failures every
    rank meets at the same step (non-finite gradients, which the all-reduce shares); a failure of
    one rank saves nothing rather than hanging the others. The process that launched the other
    ranks (Lightning's launcher, rank 0) then ends them: they would wait in their next collective
    until the process-group timeout (30 min; gloo notices the lost peer, NCCL does not)."""
    import signal

    if trainer.world_size > 1 and not isinstance(err, NonFiniteError):
        if trainer.global_step > 0:
            rank_zero_info(f"training failed on one rank; not saving (a save needs every rank). "
                           f"Resume from the newest checkpoint in {path.parent}")
        launcher = trainer.strategy.launcher
        if launcher is not None and getattr(launcher, "procs", None):
            launcher.kill(getattr(signal, "SIGKILL", signal.SIGTERM))
        return
    if trainer.global_step == 0:
        return
    trainer.save_checkpoint(path, weights_only=False)
    rank_zero_info(f"training failed; state saved to {path}")


def remove_if_empty_run(logdir: Path, trainer: pl.Trainer) -> None:
    """A new run that failed before its first training step (a missing dataset, a bad shape)
    leaves no run directory behind: only rank 0 removes it, and only if it holds no checkpoint."""
    if trainer.global_step > 0 or trainer.global_rank != 0 or not logdir.is_dir():
        return
    if any(logdir.rglob("*.ckpt")):
        return
    shutil.rmtree(logdir, ignore_errors=True)
    rank_zero_info(f"removed the run directory {logdir}: the run failed before training started")


def warn_base_over_resume(resumed: Sequence[Path], base: Sequence[str], overrides: Sequence[str]) -> list[str]:
    """With ``-r RUN --base X.yaml``, the files given with --base are merged over the run's saved
    config (then the overrides): they win. Warn for every saved value they change, so a resumed
    run does not silently restart with, e.g., the base file's shorter ``max_steps``."""
    if not resumed or not base:
        return []
    saved = merge_configs(list(resumed))
    merged = merge_configs([*resumed, *base])
    flat_saved, flat_merged = _flat(OmegaConf.to_container(saved)), _flat(OmegaConf.to_container(merged))
    overridden = {o.split("=", 1)[0] for o in overrides}
    changed = [f"{k}: {flat_saved[k]!r} -> {flat_merged.get(k, '<absent>')!r}" for k in sorted(flat_saved)
               if flat_merged.get(k, "<absent>") != flat_saved[k] and k not in overridden]
    if changed:
        shown = "; ".join(changed[:8]) + (f"; ... ({len(changed)} in all)" if len(changed) > 8 else "")
        rank_zero_warn(f"-r with --base: the --base files win over the run's saved config and change {shown}. "
                       "Resume without --base to continue with the saved settings.")
    return changed


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict) and d:
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: d}


def run(argv: Sequence[str] | None = None) -> RunResult:
    """Parse ``argv`` (default: ``sys.argv[1:]``), then train and/or test. See module docstring."""
    opt, unknown = get_parser().parse_known_args(argv)
    # `--base a.yaml key=value` : nargs="*" also swallows the overrides that follow the configs
    unknown = [b for b in opt.base if "=" in b] + unknown
    opt.base = [b for b in opt.base if "=" not in b]
    stray = [u for u in unknown if "=" not in u]
    if stray:
        raise ConfigError(f"unrecognised arguments {stray}; overrides must look like dotted.key=value")
    now = run_stamp()
    paths = plan_run(opt, now)
    warn_base_over_resume(paths.resumed_configs, opt.base, unknown)
    config = merge_configs([*paths.resumed_configs, *opt.base], unknown)
    for key in ("model", "data"):
        if key not in config:
            raise ConfigError(f"the merged config has no '{key}' section (keys: {list(config.keys())})")
    if opt.dry_run:  # before handoffs: a missing earlier stage gets a stand-in there
        from spikevision.cli.dry_run import dry_run

        return dry_run(config, opt.dry_run_batch, opt.dry_run_steps, opt.dry_run_size)  # type: ignore[return-value]
    resolve_handoffs(config)  # globs naming a previous stage → the concrete run, saved as such
    check_resolvable(config)  # a ${...} naming a missing key: say which, before building anything
    # the seed is saved with the config, so a resumed run keeps its data order (EpochShuffleSampler)
    seed = opt.seed if opt.seed is not None else int(config.get("seed", DEFAULT_SEED))
    config.seed = seed
    pl.seed_everything(seed, workers=True)

    lightning_cfg = config.get("lightning") or OmegaConf.create()
    trainer_cfg: dict[str, Any] = to_plain(lightning_cfg.get("trainer")) or {}
    check_trainer_args(trainer_cfg)
    model = instantiate_from_config(config.model, key_path="model")
    set_snn_backend(model, config.get("snn_backend"))  # spikingjelly kernels: auto|cuda|triton|torch
    data = instantiate_from_config(config.data, key_path="data")
    scale_learning_rate(model, config, trainer_cfg)
    if paths.ckpt is None and is_first_process():  # a new run (DDP children reuse rank 0's)
        paths.logdir = claim_run_dir(paths.logdir)
    if is_first_process():  # one process per run dir; temporaries of a save killed mid-write (a resumed run's)
        lock_run_dir(paths.logdir)
        remove_stale_temporaries(paths.ckptdir)
    os.environ[RUN_DIR_ENV] = str(paths.logdir)

    has_val = getattr(data, "has_validation", True)
    callbacks = build_from_section(default_callbacks(paths, model, has_val),
                                   lightning_cfg.get("callbacks"), "lightning.callbacks")
    callbacks += [SetupRun(str(paths.logdir), config, now), SignalCheckpoint(str(paths.ckptdir))]
    loggers = build_from_section(default_loggers(paths.logdir, now), lightning_cfg.get("loggers"),
                                 "lightning.loggers", inject={"save_dir": str(paths.logdir)})
    trainer_cfg.setdefault("accelerator", "auto")
    trainer_cfg.setdefault("devices", "auto")
    plugins = list(trainer_cfg.pop("plugins", []) or []) + [AtomicCheckpointIO()]
    if not has_val:
        trainer_cfg.setdefault("limit_val_batches", 0)
    try:
        trainer = pl.Trainer(default_root_dir=str(paths.logdir), callbacks=callbacks, logger=loggers,
                             plugins=plugins, **trainer_cfg)
    except (TypeError, MisconfigurationException) as err:
        raise ConfigError(f"lightning.trainer: {err}") from err

    result = RunResult(paths.logdir, trainer, model, data)
    try:
        if not opt.test_only:
            if opt.validate_first and has_val:
                result.validate_before = _metrics(trainer.validate(model, datamodule=data, verbose=False))
                reset_metric_states(model)
            try:
                # weights_only: the resumed file may come from elsewhere (Lightning's own checkpoints
                # hold tensors and plain types only, so they load this way)
                trainer.fit(model, datamodule=data, ckpt_path=str(paths.ckpt) if paths.ckpt else None,
                            weights_only=True)
            except Exception as err:
                save_after_failure(trainer, err, paths.ckptdir / "last.ckpt")
                if paths.ckpt is None:
                    remove_if_empty_run(paths.logdir, trainer)
                elif isinstance(err, RuntimeError) and "loading state_dict" in str(err):
                    raise checkpoint_mismatch(paths.ckpt, err) from None
                raise
            if trainer.interrupted:
                return result
            trainer.save_checkpoint(paths.ckptdir / "last.ckpt", weights_only=False)  # resumable
            if has_val:
                result.validate_after = {k: float(v) for k, v in trainer.callback_metrics.items()
                                         if k.startswith("val/")}
        has_test = getattr(data, "has_test", False) and hasattr(model, "test_step")
        if has_test and not opt.no_test:
            ckpt = str(paths.ckpt) if (opt.test_only and paths.ckpt) else None
            result.test_metrics = _metrics(trainer.test(model, datamodule=data, ckpt_path=ckpt, weights_only=True))
    except SIGTERMException:  # Lightning stops with SystemExit(None), i.e. status 0: make it 143
        rank_zero_info(f"SIGTERM: stopped (state saved to {paths.ckptdir / 'last.ckpt'} if training);"
                       f" resume with -r {paths.logdir}")
        raise SystemExit(SIGTERM_EXIT_CODE) from None
    rank_zero_info(f"run directory: {paths.logdir}")
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: errors of ours print as one clear line instead of a traceback."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
