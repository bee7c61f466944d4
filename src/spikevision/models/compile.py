"""``torch.compile`` for every family: one switch, ``model.params.compile``.

``compile: false`` (default) runs eager; ``true`` compiles with torch's defaults; a mapping gives
``torch.compile`` keyword arguments (``{mode: max-autotune, dynamic: false, fullgraph: false,
backend: inductor}``). Each LightningModule calls :func:`compile_networks` at the end of its
``__init__`` on the networks it trains; they are compiled in place (:meth:`torch.nn.Module.compile`),
so parameter names, checkpoints and ``state_dict`` keys are the same as eager (no ``_orig_mod.``
prefix) and a checkpoint of a compiled run loads into an eager one and back. The VQ model compiles
its encoder/decoder step functions itself with the same switch.

Compilation happens lazily at the first forward pass: the first training step is slow (on CPU
tens of seconds for a small SNN, minutes for the paper-size VQ-VAE; ``docs/benchmarks.md``).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from spikevision.errors import ConfigError

CompileSpec = bool | Mapping[str, Any] | None


def compile_options(spec: CompileSpec, key: str = "model.params.compile") -> dict[str, Any] | None:
    """``spec`` → ``torch.compile`` keyword arguments, or ``None`` for eager."""
    if spec is None or spec is False:
        return None
    if spec is True:
        return {}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{key}: expected true/false or a mapping of torch.compile options, got {spec!r}")
    allowed = set(inspect.signature(torch.compile).parameters) - {"model"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ConfigError(f"{key}: unknown torch.compile options {unknown}; valid: {sorted(allowed)}")
    return dict(spec)


def compile_networks(owner: nn.Module, spec: CompileSpec, *names: str) -> list[str]:
    """Compile ``owner.<name>`` for each of ``names`` in place when ``spec`` asks for it; returns
    the names compiled (``[]`` when eager). A missing attribute is a programming error (raises)."""
    options = compile_options(spec)
    if options is None:
        return []
    for name in names:
        network = getattr(owner, name)
        if not isinstance(network, nn.Module):
            raise TypeError(f"{type(owner).__name__}.{name} is not an nn.Module and cannot be compiled")
        network.compile(**options)
    return list(names)


def is_compiled(network: nn.Module) -> bool:
    """Whether ``network`` was compiled in place (:meth:`torch.nn.Module.compile`)."""
    return getattr(network, "_compiled_call_impl", None) is not None
