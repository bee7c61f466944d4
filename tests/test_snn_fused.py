"""The fused CPU multi-step LIF / I-LIF (snn/neurons.py) against spikingjelly's own neurons."""

from __future__ import annotations

import copy

import pytest
import torch
from spikingjelly.activation_based import functional, neuron

from spikevision.snn import LIFNonlinearity, SnnResnetBlock, make_lif, make_neuron, reset_states
from spikevision.snn.neurons import SnnILIFNode, SnnLIFNode
from spikevision.snn.time_distributed import TimeDistributed, once_per_time

LIF_CONFIGS = [
    None,  # the paper's defaults: hard reset to 0, detached, piecewise quadratic
    {"v_reset": None},  # soft reset
    {"detach_reset": False},
    {"decay_input": False, "v_reset": 0.2, "detach_reset": False},
    {"surrogate": "Sigmoid", "surrogate_alpha": 4.0, "v_reset": None, "detach_reset": False},
    {"surrogate": "ATan", "tau": 3.0, "v_threshold": 0.3},
]
ILIF_CONFIGS = [{"kind": "ilif", "max_spike_count": 2, "tau": 1.3333, "v_threshold": 1.0},
                {"kind": "ilif", "max_spike_count": 3, "v_threshold": 0.7, "detach_reset": True}]


def spikingjelly_twin(node: neuron.BaseNode) -> neuron.BaseNode:
    """The same neuron as a plain spikingjelly class (its own CPU kernels)."""
    twin = copy.deepcopy(node)
    twin.__class__ = neuron.ILIFNode if isinstance(node, SnnILIFNode) else neuron.LIFNode
    return twin


def run(fn, module: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(output, dL/dx, final membrane) for L = Σ output · w with fixed random w."""
    x = x.detach().clone().requires_grad_()
    y = fn(x)
    w = torch.randn(y.shape, generator=torch.Generator().manual_seed(1))
    (y * w).sum().backward()
    node = next(m for m in module.modules() if isinstance(m, neuron.BaseNode))
    v = node.v.detach().clone()
    reset_states(module)
    return y.detach(), x.grad, v


@pytest.mark.parametrize("config", LIF_CONFIGS + ILIF_CONFIGS)
def test_fused_neuron_equals_spikingjelly(config):
    node = make_neuron(config) if config and "kind" in config else make_lif(config)
    assert isinstance(node, SnnLIFNode | SnnILIFNode)
    twin = spikingjelly_twin(node)
    x = torch.randn(5, 3, 4, 7, 7, generator=torch.Generator().manual_seed(0)) * 1.5
    (y, gx, v), (y_ref, gx_ref, v_ref) = run(node, node, x), run(twin, twin, x)
    assert y.abs().sum() > 0 and (y == 0).any()  # some neurons fire, some do not
    torch.testing.assert_close(y, y_ref, rtol=0, atol=0)  # same spikes, bit for bit
    torch.testing.assert_close(v, v_ref, rtol=0, atol=0)
    torch.testing.assert_close(gx, gx_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("config", LIF_CONFIGS[:4])
def test_fused_lif_nonlinearity_equals_x_times_spikes(config):
    act = LIFNonlinearity(config)
    twin = spikingjelly_twin(act.lif)
    x = torch.randn(4, 2, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    (y, gx, _), (y_ref, gx_ref, _) = run(act, act, x), run(lambda z: z * twin(z), twin, x)
    torch.testing.assert_close(y, y_ref, rtol=0, atol=0)
    torch.testing.assert_close(gx, gx_ref, rtol=1e-5, atol=1e-6)


def test_state_and_gradient_flow_across_calls():
    """Chunks of time steps in successive calls carry the membrane (and its gradient)."""
    node = make_lif()
    twin = spikingjelly_twin(node)
    x = torch.randn(6, 2, 10, generator=torch.Generator().manual_seed(3))

    def chunked(m):
        return lambda z: torch.cat([m(z[:2]), m(z[2:5]), m(z[5:])])

    (y, gx, v), (y_ref, gx_ref, v_ref) = run(chunked(node), node, x), run(chunked(twin), twin, x)
    torch.testing.assert_close(y, y_ref, rtol=0, atol=0)
    torch.testing.assert_close(v, v_ref, rtol=0, atol=0)
    torch.testing.assert_close(gx, gx_ref, rtol=1e-5, atol=1e-6)
    assert gx[:2].abs().sum() > 0  # the first chunk gets gradient through the carried membrane


def test_single_step_mode_is_spikingjelly_and_matches_multi_step():
    node = make_lif()
    x = torch.randn(4, 3, 8, generator=torch.Generator().manual_seed(4))
    multi = node(x)
    reset_states(node)
    functional.set_step_mode(node, "s")
    single = torch.stack([node(x[t]) for t in range(4)])
    torch.testing.assert_close(multi, single, rtol=0, atol=0)


def test_expanded_and_bfloat16_inputs():
    node = make_lif()
    base = torch.randn(3, 16, generator=torch.Generator().manual_seed(5))
    expanded = base.unsqueeze(0).expand(4, 3, 16)
    torch.testing.assert_close(node(expanded), make_lif()(expanded.contiguous()), rtol=0, atol=0)
    reset_states(node)
    y = node(expanded.to(torch.bfloat16))
    assert y.dtype == torch.bfloat16


def test_once_per_time_runs_the_layer_once_for_a_repeated_input():
    layer = torch.nn.Linear(8, 5)
    x = torch.randn(2, 6, 8)
    repeated = x.unsqueeze(0).expand(3, 2, 6, 8)
    calls = []
    layer.register_forward_hook(lambda m, i, o: calls.append(i[0].shape))
    out = once_per_time(layer, repeated)
    assert calls == [torch.Size([2, 6, 8])] and out.shape == (3, 2, 6, 5)
    torch.testing.assert_close(out, layer(repeated.contiguous()))
    assert once_per_time(layer, repeated.contiguous()).shape == (3, 2, 6, 5)


def test_time_distributed_runs_a_repeated_input_once():
    conv = TimeDistributed(torch.nn.Conv2d(2, 3, 3, padding=1))
    image = torch.randn(4, 2, 5, 5)
    repeated = image.unsqueeze(0).expand(3, 4, 2, 5, 5)
    out = conv(repeated)
    assert out.shape == (3, 4, 3, 5, 5) and out.stride(0) == 0
    torch.testing.assert_close(out, conv(repeated.contiguous()))


@pytest.mark.parametrize("factory", [lambda: SnnResnetBlock(3, 4), lambda: make_neuron(ILIF_CONFIGS[0])])
def test_compiled_neurons_trace_without_breaks_and_equal_eager(factory):
    """Under torch.compile the neurons run spikingjelly's traceable loop: one graph, same values."""
    import torch._dynamo

    module = factory()
    x = torch.randn(3, 2, 3, 5, 5, generator=torch.Generator().manual_seed(6))
    explained = torch._dynamo.explain(module)(x)
    reset_states(module)
    assert explained.graph_count == 1 and explained.graph_break_count == 0
    y, gx, _ = run(module, module, x)
    compiled = torch.compile(module, backend="aot_eager", dynamic=False)
    y_c, gx_c, _ = run(compiled, module, x)
    torch.testing.assert_close(y_c, y, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(gx_c, gx, rtol=1e-5, atol=1e-6)


def test_hooks_on_the_inner_neuron_still_see_its_spikes():
    """A forward hook on ``LIFNonlinearity.lif`` (firing-rate monitors) is called; same output."""
    act = LIFNonlinearity()
    x = torch.randn(3, 2, 8, generator=torch.Generator().manual_seed(7))
    fused = act(x)
    reset_states(act)
    seen = []
    handle = act.lif.register_forward_hook(lambda m, i, o: seen.append(o))
    hooked = act(x)
    handle.remove()
    assert len(seen) == 1 and set(seen[0].unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(hooked, fused, rtol=0, atol=0)
