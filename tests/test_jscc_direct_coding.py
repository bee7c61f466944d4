"""The JSCC codec's direct coding into a spiking activation reads the image features as an
expanded view instead of a ``[T*B]`` copy: same spikes, same gradients."""

from __future__ import annotations

import pytest
import torch

from spikevision.models.jscc.layers import SpikingActivation, activate_repeated, repeat_time
from spikevision.snn import reset_states


def spikes_and_grad(fn, x: torch.Tensor, act: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().clone().requires_grad_()
    y = fn(x)
    w = torch.randn(y.shape, generator=torch.Generator().manual_seed(1))
    (y * w).sum().backward()
    reset_states(act)
    return y.detach(), x.grad


@pytest.mark.parametrize("neuron", [{"kind": "ilif", "max_spike_count": 2, "tau": 1.3333},
                                    {"kind": "lif", "v_threshold": 0.5}], ids=["ilif", "lif"])
def test_repeated_input_equals_the_materialised_repeat(neuron):
    x = torch.randn(3, 5, 6, 6, generator=torch.Generator().manual_seed(0)) * 1.5
    act = SpikingActivation(neuron, time_steps=4)
    y, g = spikes_and_grad(lambda z: activate_repeated(act, z, 4), x, act)
    y_ref, g_ref = spikes_and_grad(lambda z: act(repeat_time(z, 4)), x, act)
    assert y.shape == (12, 5, 6, 6) and y.abs().sum() > 0 and (y == 0).any()
    torch.testing.assert_close(y, y_ref, rtol=0, atol=0)
    torch.testing.assert_close(g, g_ref, rtol=1e-5, atol=1e-6)


def test_forward_hooks_still_see_the_folded_spikes():
    act = SpikingActivation({"kind": "ilif", "max_spike_count": 2}, time_steps=3)
    seen = []
    act.register_forward_hook(lambda m, a, out: seen.append(out.shape))
    with torch.no_grad():
        activate_repeated(act, torch.rand(2, 4, 5, 5), 3)
    assert seen == [torch.Size([6, 4, 5, 5])]


def test_cnn_activations_take_the_repeat_unchanged():
    relu = torch.nn.ReLU()
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(activate_repeated(relu, x, 1), relu(x), rtol=0, atol=0)
