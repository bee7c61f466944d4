"""Config-driven construction: ``target:``/``params:`` instantiation and YAML loading/merging.

A config node ``{target: "package.module.Name", params: {...}}`` builds ``Name(**params)``.
Errors name the config key path and suggest close target names, so a typo in a YAML file is
reported as such rather than as an ``ImportError`` deep inside importlib.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from spikevision.errors import ConfigError

__all__ = [
    "check_override_type",
    "check_resolvable",
    "get_obj_from_str",
    "instantiate_from_config",
    "load_config",
    "merge_configs",
    "renamed_arguments",
    "to_plain",
]


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def _module_candidates(module_name: str) -> list[str]:
    """Importable module names beside ``module_name`` (siblings of its deepest importable parent)."""
    parts = module_name.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:depth])
        try:
            pkg = importlib.import_module(parent)
        except ImportError:
            continue
        if hasattr(pkg, "__path__"):
            return [f"{parent}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__)]
        return []
    return [m.name for m in pkgutil.iter_modules()]


def get_obj_from_str(target: str, key_path: str = "target") -> Any:
    """Import ``"package.module.Attr"`` and return ``Attr``; clear ConfigError with suggestions."""
    if not isinstance(target, str) or "." not in target:
        raise ConfigError(
            f"{key_path}: expected a dotted import path like 'spikevision.models.recon.SnnReconModel',"
            f" got {target!r}"
        )
    module_name, attr = target.rsplit(".", 1)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        missing = err.name or module_name
        if not module_name.startswith(missing):
            # the module exists but one of *its* imports is missing: not a typo in the config
            raise
        raise ConfigError(
            f"{key_path}: cannot import module '{module_name}' for target '{target}'."
            + _suggest(module_name, _module_candidates(module_name))
        ) from None
    if not hasattr(module, attr):
        public = [n for n in dir(module) if not n.startswith("_")]
        raise ConfigError(
            f"{key_path}: module '{module_name}' has no attribute '{attr}' (target '{target}')."
            + _suggest(attr, public)
        )
    return getattr(module, attr)


def instantiate_from_config(
    config: Mapping | DictConfig, key_path: str = "config", **extra_kwargs: Any
) -> Any:
    """Build ``config.target(**config.params, **extra_kwargs)``.

    ``key_path`` is the dotted location of ``config`` in the whole YAML (e.g. ``model`` or
    ``data.params.train``) and is used in error messages.
    """
    if config is None or not isinstance(config, Mapping | DictConfig):
        raise ConfigError(f"{key_path}: expected a mapping with 'target' and 'params', got {config!r}")
    if "target" not in config:
        raise ConfigError(
            f"{key_path}: missing 'target' key (has keys {sorted(config.keys())}). "
            "Every buildable node needs 'target: package.module.Name' and optional 'params:'."
        )
    cls = get_obj_from_str(config["target"], key_path=f"{key_path}.target")
    if not callable(cls):
        raise ConfigError(f"{key_path}.target: '{config['target']}' is a {type(cls).__name__}, not a class "
                          "or function that can be built")
    params = config.get("params") or {}
    if isinstance(params, DictConfig):
        params = OmegaConf.to_container(params, resolve=True)
    if not isinstance(params, Mapping):
        raise ConfigError(f"{key_path}.params: expected a mapping, got {type(params).__name__}")
    try:
        return cls(**params, **extra_kwargs)
    except TypeError as err:
        if "unexpected keyword argument" in str(err) or "missing" in str(err):
            import inspect

            try:
                accepted = list(inspect.signature(cls).parameters)
            except (TypeError, ValueError):
                accepted = []
            hint = f" Accepted parameters: {', '.join(accepted)}." if accepted else ""
            raise ConfigError(f"{key_path}: cannot build {config['target']}: {err}.{hint}") from err
        raise


_WARNED_RENAMES: set[tuple[str, str]] = set()


def renamed_arguments(kwargs: dict[str, Any], renames: Mapping[str, str], owner: str,
                      given: Mapping[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """The one place old keyword names are accepted (saved run configs and checkpoints'
    hyper-parameters use them). ``kwargs``: a constructor's ``**kwargs``, emptied in place (so
    ``save_hyperparameters`` stores only the new names); ``renames``: ``{old: new}``; ``given``:
    the new-named arguments as passed (``None`` = not given). Returns ``given`` with each old
    argument under its new name; warns once per process and old name with a DeprecationWarning
    naming both; refuses an old and a new name together, an unknown keyword, or a missing
    ``required`` one (as Python's TypeError would, so config errors name the parameters)."""
    out = dict(given)
    for old in list(kwargs):
        if old not in renames:
            raise TypeError(f"{owner}.__init__() got an unexpected keyword argument '{old}'")
        new, value = renames[old], kwargs.pop(old)
        if out.get(new) is not None:
            raise ConfigError(f"{owner}: '{old}' is the old name of '{new}'; give only '{new}'")
        if (owner, old) not in _WARNED_RENAMES:
            _WARNED_RENAMES.add((owner, old))
            warnings.warn(f"{owner}: '{old}' is now called '{new}' (the old name still works)",
                          DeprecationWarning, stacklevel=3)
        out[new] = value
    missing = [name for name in required if out.get(name) is None]
    if missing:
        raise TypeError(f"{owner}.__init__() missing required argument '{missing[0]}'")
    return out


def load_config(path: str | Path) -> DictConfig:
    """Load one YAML config file with a clear error when it is missing or malformed. A relative
    path that is not under the working directory is looked up under the config root
    (:func:`spikevision.resources.find_config`: the checkout or the installed package's configs)."""
    from spikevision.resources import find_config

    path = find_config(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path} (a folder, not a file)")
    try:
        cfg = OmegaConf.load(path)
    except Exception as err:  # yaml.YAMLError and friends
        raise ConfigError(f"cannot parse config {path}: {err}") from err
    if not isinstance(cfg, DictConfig):
        raise ConfigError(f"config {path} must be a mapping at the top level")
    return cfg


def merge_configs(paths: Sequence[str | Path], overrides: Sequence[str] = ()) -> DictConfig:
    """Merge YAML files left to right, then ``dotted.key=value`` overrides."""
    configs = [load_config(p) for p in paths]
    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise ConfigError(f"overrides must look like dotted.key=value, got {bad}")
    cli = OmegaConf.from_dotlist(list(overrides))
    base = OmegaConf.merge(*configs) if configs else OmegaConf.create()
    for item in overrides:
        key, text = item.split("=", 1)
        if "${" not in text:  # interpolations are checked once resolved (check_resolvable)
            check_override_type(base, key, text, OmegaConf.select(OmegaConf.from_dotlist([item]), key))
    return OmegaConf.merge(base, cli)


_SCALARS = {bool: "a boolean (true/false)", int: "an integer", float: "a number"}


def check_override_type(base: DictConfig, key: str, text: str, value: Any) -> None:
    """Refuse ``key=text`` when the configs give ``key`` a number or boolean and ``value`` (the
    override as YAML parsed it) is not one: ``batch_size=abc`` is a typo, not a string."""
    try:
        old = OmegaConf.select(base, key, throw_on_missing=False)
    except Exception:  # an interpolation in the base that cannot resolve: reported later
        return
    kind = type(old)
    if old is None or kind not in _SCALARS or value is None:
        return
    ok = isinstance(value, bool) if kind is bool else (
        isinstance(value, int | float) and not isinstance(value, bool) and (kind is float or isinstance(value, int)))
    if not ok:
        raise ConfigError(f"override {key}={text}: expected {_SCALARS[kind]} (the config has {key}: {old!r}), "
                          f"got {value!r}")


def check_resolvable(config: DictConfig) -> None:
    """Resolve every ``${...}`` interpolation now, so a missing key is reported by name before
    anything is built."""
    from omegaconf.errors import OmegaConfBaseException

    try:
        OmegaConf.to_container(config, resolve=True)
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None)
        msg = str(err).split("\n")[0]
        raise ConfigError(f"{key + ': ' if key else ''}{msg} (check the ${{...}} interpolation or pass "
                          "the missing key as key=value)") from None


def to_plain(config: DictConfig | ListConfig | Any) -> Any:
    """An OmegaConf node as plain Python containers (resolved), anything else unchanged."""
    if isinstance(config, DictConfig | ListConfig):
        return OmegaConf.to_container(config, resolve=True)
    return config
