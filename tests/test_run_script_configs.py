"""Every shipped run script launches the same merged config as before the configs were layered
(issue 12). ``tests/data/run_script_configs.json`` holds, per script, the run name and the merged
config (unresolved) as the self-contained YAML files gave them; a change of a shipped config value
must update that file on purpose.

Two configs count as equal when they build the same objects: both are resolved, then every
``target``/``params`` node is completed with its target's signature defaults and the trainer
section with ``lightning.pytorch.Trainer``'s (so ``data.params.test: null`` equals no test split,
and ``num_nodes: 1`` equals no ``num_nodes``). The sections compared are ``model``, ``data``,
``lightning`` and the top-level keys the old config referenced by interpolation (user handles such
as ``dataset_root=`` or ``artifacts=``, which must still reach the same places)."""

from __future__ import annotations

import copy
import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from spikevision.cli.launch_scripts import invocation
from spikevision.registry import merge_configs

REPO = Path(__file__).resolve().parents[1]
BEFORE = json.loads((REPO / "tests" / "data" / "run_script_configs.json").read_text())
SECTIONS = ("model", "data", "lightning")
PLAIN = (type(None), bool, int, float, str)


def _defaults(target: str) -> dict[str, Any]:
    module, _, name = target.rpartition(".")
    signature = inspect.signature(getattr(importlib.import_module(module), name))
    out = {}
    for p in signature.parameters.values():
        d = list(p.default) if isinstance(p.default, tuple) else p.default
        if d is not inspect.Parameter.empty and (
                isinstance(d, PLAIN) or isinstance(d, list) and all(isinstance(x, PLAIN) for x in d)):
            out[p.name] = d
    return out


def _complete(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("target"), str) and "." in node["target"]:
            if node.get("params") is None:
                node["params"] = {}
            for k, v in _defaults(node["target"]).items():
                node["params"].setdefault(k, v)
        for v in node.values():
            _complete(v)
    elif isinstance(node, list):
        for v in node:
            _complete(v)


def comparable(raw: dict[str, Any], handles: list[str]) -> dict[str, Any]:
    """The resolved, default-completed sections of a merged config (see the module docstring)."""
    resolved = OmegaConf.to_container(OmegaConf.create(raw), resolve=True)
    view = copy.deepcopy({k: resolved.get(k) for k in (*SECTIONS, *handles)})
    _complete(view)
    trainer = (view.get("lightning") or {}).get("trainer")
    if isinstance(trainer, dict):
        for k, v in _defaults("lightning.pytorch.Trainer").items():
            trainer.setdefault(k, v)
    return view


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict) and d:
        out = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: d}


def _handles(raw: dict[str, Any]) -> list[str]:
    text = json.dumps(raw)
    return sorted(k for k in raw if k not in SECTIONS and "${" + k in text)


@pytest.mark.parametrize("script", sorted(BEFORE), ids=lambda s: s.rsplit("/", 1)[-1][4:-3])
def test_run_script_merges_to_the_same_config_as_before(script):
    before = BEFORE[script]
    run = invocation(REPO / script)
    assert run.name == before["name"]
    merged = OmegaConf.to_container(merge_configs(run.configs, run.overrides), resolve=False)
    handles = _handles(before["config"])
    old, new = _flat(comparable(before["config"], handles)), _flat(comparable(merged, handles))
    differ = {k: (old.get(k, "<absent>"), new.get(k, "<absent>")) for k in old.keys() | new.keys()
              if old.get(k, "<absent>") != new.get(k, "<absent>")}
    assert not differ, differ
    # a user's `dataset_root=...` (or any handle) must still reach every place it reached before
    leaves = [k for h in handles for k in _flat({h: before["config"][h]})]
    for handle in leaves:
        probe = merge_configs(run.configs, [*run.overrides, f"{handle}=/probe"])
        old_probe = OmegaConf.merge(OmegaConf.create(before["config"]), OmegaConf.from_dotlist([f"{handle}=/probe"]))
        assert (_flat(comparable(OmegaConf.to_container(probe), [])) ==
                _flat(comparable(OmegaConf.to_container(old_probe), []))), handle


def test_every_run_script_is_covered():
    shipped = {str(p.relative_to(REPO)) for p in (REPO / "train").glob("stage_*/run_*.sh")}
    assert shipped == set(BEFORE)


def test_run_scripts_are_one_launcher_call():
    for script in (REPO / "train").glob("stage_*/run_*.sh"):
        lines = [ln for ln in script.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        assert len(lines) == 1 and "/../launch.sh" in lines[0], script


def test_configs_state_each_fact_once():
    """Fewer than a third of the config content lines occur in another config file. A content line
    states a value (``key: value``, a list item); lines that only open a section (``network:``) and
    comments are not facts."""
    files = sorted((REPO / "train").rglob("*.yaml"))
    seen: dict[str, set[Path]] = {}
    lines = {}
    for f in files:
        content = [ln.split("#", 1)[0].rstrip() for ln in f.read_text().splitlines()]
        content = [ln for ln in content if ln.strip() and not ln.strip().endswith(":")]
        lines[f] = content
        for ln in set(content):
            seen.setdefault(ln.strip(), set()).add(f)
    total = sum(len(c) for c in lines.values())
    repeated = sum(1 for f, c in lines.items() for ln in c if len(seen[ln.strip()]) > 1)
    assert repeated / total < 1 / 3, f"{repeated}/{total} content lines repeat in another file"
