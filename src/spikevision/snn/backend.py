"""Which implementation runs spikingjelly's spiking neurons: its CUDA/Triton kernels or plain torch.

spikingjelly 2.x chooses the implementation of each neuron operator family (LIF, IF, I-LIF, ...)
once per process from an environment variable, ``SJ_<FAMILY>_CUDA_IMPLEMENTATION`` =
``auto`` (default: its CUDA kernel, else Triton, else torch), ``cuda``, ``triton`` or ``torch``;
on CPU tensors the torch implementation always runs. :func:`set_snn_backend` sets that choice for
the neuron families a model uses (walking ``model.modules()``), both in this process (the
already-imported operator selections) and in the environment (so DDP workers started later
inherit it). Configs choose it with the top-level key ``snn_backend: auto|cuda|triton|torch``
(``cli/train.py`` applies it after building the model); the environment variable
``SPIKEVISION_SNN_BACKEND`` does the same for every run (the config key wins).

On a machine without CUDA, asking for ``cuda`` or ``triton`` raises :class:`ConfigError` (the
request cannot be honoured; use ``auto`` or ``torch``) rather than silently running torch.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable

import torch
from torch import nn

from spikevision.errors import ConfigError

SNN_BACKENDS = ("auto", "cuda", "triton", "torch")
ENV_VAR = "SPIKEVISION_SNN_BACKEND"
#: spikingjelly operator package (``spikingjelly._ops.<name>``) per neuron class name
NEURON_OPS: dict[str, str] = {"LIFNode": "lif", "IFNode": "if_", "ILIFNode": "ilif", "ParametricLIFNode": "plif"}


def neuron_families(model: nn.Module) -> list[str]:
    """spikingjelly operator families (``lif``, ``if_``, ...) of the neurons in ``model``, sorted."""
    found = set()
    for module in model.modules():
        for cls in type(module).__mro__:
            if cls.__module__.startswith("spikingjelly") and cls.__name__ in NEURON_OPS:
                found.add(NEURON_OPS[cls.__name__])
                break
    return sorted(found)


def _selection(family: str):  # spikingjelly's per-family _CudaSelection (private API, 2.x)
    return importlib.import_module(f"spikingjelly._ops.{family}")._selection


def env_variable(family: str) -> str:
    """The spikingjelly environment variable choosing ``family``'s implementation."""
    return _selection(family)._environment_variable


def current_backend(family: str = "lif") -> str:
    """The implementation requested for ``family`` in this process (``auto`` unless set)."""
    return str(_selection(family)._requested)


def set_families_backend(families: Iterable[str], backend: str) -> None:
    """Request ``backend`` for the neuron operator ``families`` (see module doc)."""
    if backend not in SNN_BACKENDS:
        raise ConfigError(f"snn_backend: expected one of {list(SNN_BACKENDS)}, got {backend!r}")
    if backend in ("cuda", "triton") and not torch.cuda.is_available():
        raise ConfigError(f"snn_backend: {backend} needs a CUDA GPU and this machine has none "
                          "(torch.cuda.is_available() is False); use snn_backend: auto or torch")
    for family in families:
        sel = _selection(family)
        with sel._lock:
            sel._requested = backend
            sel._selections.clear()  # chosen lazily per device: the next call re-selects
            sel._compiled_selections.clear()
        os.environ[sel._environment_variable] = backend


def set_snn_backend(model: nn.Module, backend: str | None) -> list[str]:
    """Run every spikingjelly neuron of ``model`` on ``backend`` (``None``: ``$SPIKEVISION_SNN_BACKEND``
    or, unset, leave spikingjelly's choice). Returns the operator families set."""
    backend = backend or os.environ.get(ENV_VAR) or None
    if backend is None:
        return []
    families = neuron_families(model)
    set_families_backend(families, str(backend))
    return families


def selected_implementation(family: str = "lif", device: torch.device | str | None = None) -> str:
    """The implementation spikingjelly runs for ``family`` on a CUDA ``device`` (``torch`` on CPU)."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type != "cuda":
        return "torch"
    return str(_selection(family).diagnostics(device)["implementation"])
