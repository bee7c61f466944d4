"""``snn_backend``: choosing spikingjelly's neuron implementation (CUDA/Triton kernel or torch) for
the neuron families a model uses; a CUDA kernel on a machine without CUDA is a one-line error."""

from __future__ import annotations

import os

import pytest
import torch
from torch import nn

from spikevision.errors import ConfigError
from spikevision.snn import backend
from spikevision.snn.neurons import make_neuron


@pytest.fixture
def restore():
    """Put spikingjelly's choice and the environment back as they were."""
    families = ("lif", "if_", "ilif")
    before = {f: backend.current_backend(f) for f in families}
    env = {f: os.environ.get(backend.env_variable(f)) for f in families}
    yield
    for f in families:
        if before[f] in ("auto", "torch") or torch.cuda.is_available():
            backend.set_families_backend([f], before[f])
        var = backend.env_variable(f)
        if env[f] is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = env[f]


def _net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(2, 4, 3), make_neuron(), nn.Sequential(make_neuron({"kind": "if"})))


def test_families_of_a_model():
    assert backend.neuron_families(_net()) == ["if_", "lif"]
    assert backend.neuron_families(nn.Linear(2, 2)) == []
    assert backend.env_variable("lif") == "SJ_LIF_CUDA_IMPLEMENTATION"


def test_set_backend_reaches_spikingjelly_and_the_environment(restore):
    assert backend.set_snn_backend(_net(), "torch") == ["if_", "lif"]
    assert backend.current_backend("lif") == "torch" and backend.current_backend("if_") == "torch"
    assert os.environ["SJ_LIF_CUDA_IMPLEMENTATION"] == "torch"  # DDP workers started later inherit it
    x = torch.randn(3, 2, 2, 6, 6)  # the torch path still computes: [T, B, C, H, W]
    assert _net()(x.flatten(0, 1)).shape == (6, 4, 4, 4)


def test_environment_default_and_config_wins(restore, monkeypatch):
    monkeypatch.setenv(backend.ENV_VAR, "torch")
    assert backend.set_snn_backend(_net(), None) == ["if_", "lif"]
    assert backend.current_backend("lif") == "torch"
    assert backend.set_snn_backend(_net(), "auto") and backend.current_backend("lif") == "auto"
    monkeypatch.delenv(backend.ENV_VAR)
    assert backend.set_snn_backend(_net(), None) == []  # nothing asked: spikingjelly's own choice


def test_bad_names_and_kernels_without_cuda(restore):
    with pytest.raises(ConfigError, match=r"snn_backend: expected one of \['auto', 'cuda', 'triton', 'torch'\]"):
        backend.set_snn_backend(_net(), "cupy")
    if not torch.cuda.is_available():
        for kernel in ("cuda", "triton"):
            with pytest.raises(ConfigError, match=f"snn_backend: {kernel} needs a CUDA GPU"):
                backend.set_snn_backend(_net(), kernel)
        assert backend.selected_implementation("lif") == "torch"
