"""SNN building blocks: LIF defaults, shapes, gradients, state reset, coding/decoding."""

from __future__ import annotations

import pytest
import torch
from spikingjelly.activation_based import neuron, surrogate

from spikevision.models.recon import SnnUNet
from spikevision.snn import (
    LIFNonlinearity,
    SnnAttnBlock,
    SnnDownsample,
    SnnResnetBlock,
    SnnUpsample,
    decode_output,
    encode_input,
    make_lif,
    membrane_readout,
    reset_states,
)


def _lif_nodes(module: torch.nn.Module) -> list[neuron.LIFNode]:
    return [m for m in module.modules() if isinstance(m, neuron.LIFNode)]


def test_lif_defaults_follow_the_temporal_codebook_paper():
    lif = make_lif()
    assert lif.tau == 2.0 and lif.v_threshold == 0.5 and lif.v_reset == 0.0
    assert lif.detach_reset is True and lif.step_mode == "m"
    assert isinstance(lif.surrogate_function, surrogate.PiecewiseQuadratic)
    assert lif.surrogate_function.alpha == 2.0


def test_lif_dynamics_by_hand():
    # tau=2, decay_input: v_t = v_{t-1} + (x - v_{t-1})/2, spike when v >= 0.5, hard reset to 0.
    lif = make_lif()
    x = torch.full((4, 1), 0.6)
    # v1 = 0.3 (no spike); v2 = 0.3 + 0.15 = 0.45 (no); v3 = 0.45 + 0.075 = 0.525 (spike, reset 0);
    # v4 = 0.3 (no)
    assert lif(x).flatten().tolist() == [0.0, 0.0, 1.0, 0.0]


def test_unknown_lif_option_and_surrogate_are_reported():
    with pytest.raises(ValueError, match="unknown LIF options"):
        make_lif({"taus": 2.0})
    with pytest.raises(ValueError, match="unknown surrogate"):
        make_lif({"surrogate": "NoSuchSurrogate"})


def test_lif_nonlinearity_is_x_times_spikes():
    act = LIFNonlinearity()
    x = torch.tensor([[0.2], [1.0], [2.0]])  # T=3, B=1
    spikes = make_lif()(x)
    assert torch.equal(act(x), x * spikes)


@pytest.mark.parametrize("block_factory, out_shape", [
    (lambda: SnnResnetBlock(8, 16), (3, 2, 16, 8, 8)),
    (lambda: SnnAttnBlock(8), (3, 2, 8, 8, 8)),
    (lambda: SnnDownsample(8), (3, 2, 8, 4, 4)),
    (lambda: SnnUpsample(8), (3, 2, 8, 16, 16)),
])
def test_block_shapes_and_gradients(block_factory, out_shape):
    block = block_factory()
    x = torch.randn(3, 2, 8, 8, 8, requires_grad=True)
    y = block(x)
    assert y.shape == out_shape
    y.square().mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in block.parameters() if p.requires_grad)


def test_attention_has_no_softmax_and_spiking_queries():
    block = SnnAttnBlock(4)
    x = torch.randn(2, 1, 4, 3, 3)
    q = block.q_lif(block.q(block.norm(x)))
    assert set(q.unique().tolist()) <= {0.0, 1.0}


def test_encode_direct_and_bins():
    img = torch.rand(2, 1, 5, 5)
    enc = encode_input(img, "direct", 4)
    assert enc.shape == (4, 2, 1, 5, 5) and torch.equal(enc[3], img)
    bins = torch.rand(2, 4, 2, 5, 5)
    enc = encode_input(bins, "bins", 4)
    assert enc.shape == (4, 2, 2, 5, 5) and torch.equal(enc[1], bins[:, 1])
    with pytest.raises(ValueError, match="time bins"):
        encode_input(bins, "bins", 3)


def test_decodings():
    y = torch.arange(1.0, 5.0).view(4, 1)
    assert decode_output(y, "mean").item() == 2.5
    assert decode_output(y, "last").item() == 4.0
    # leaky integrator v_t = v + (y_t - v)/2 from 0: 0.5, 1.25, 2.125, 3.0625
    assert decode_output(y, "membrane", tau=2.0).item() == pytest.approx(3.0625)
    assert membrane_readout(y, tau=1.0).item() == 4.0  # tau=1: no memory


def test_unet_output_shape_range_and_grad_on_odd_sizes():
    net = SnnUNet(in_channels=2, out_channels=1, ch=8, ch_mult=(1, 2, 2), attn_levels=(2,))
    x = torch.rand(4, 3, 2, 34, 34, requires_grad=True)
    y = net(x)
    assert y.shape == (3, 1, 34, 34)
    assert 0 <= float(y.min()) and float(y.max()) <= 1
    y.mean().backward()
    assert x.grad.abs().sum() > 0


def test_neuron_state_is_reset_after_every_forward():
    torch.manual_seed(0)
    net = SnnUNet(in_channels=2, out_channels=1, ch=8, ch_mult=(1, 2))
    x = torch.rand(4, 2, 2, 16, 16) * 3
    first = net(x)
    for lif in _lif_nodes(net):
        assert isinstance(lif.v, float) and lif.v == 0.0
    other = torch.rand(4, 2, 2, 16, 16) * 3
    net(other)
    assert torch.equal(net(x), first)  # nothing leaked from the batch in between


def test_state_would_leak_without_reset():
    # The same LIF fed twice without reset gives different spikes: the reset above matters.
    lif = make_lif()
    x = torch.full((2, 1), 0.6)
    a = lif(x).clone()
    b = lif(x)
    assert not torch.equal(a, b)
    reset_states(lif)
    assert torch.equal(lif(x), a)


def test_old_class_names_are_aliases_outside_all():
    """``Snn`` is a prefix; the old suffixed names stay importable from their defining modules
    (saved run configs name classes by dotted path) but are not exported."""
    import spikevision.snn as snn
    from spikevision.models.transformer import gpt
    from spikevision.models.vqvae import networks
    from spikevision.snn import blocks

    pairs = [(blocks, "ResnetBlockSnn", "SnnResnetBlock"), (blocks, "AttnBlockSnn", "SnnAttnBlock"),
             (blocks, "DownsampleSnn", "SnnDownsample"), (blocks, "UpsampleSnn", "SnnUpsample"),
             (gpt, "CausalSelfAttentionSnn", "SnnCausalSelfAttention"), (gpt, "BlockSnn", "SnnBlock"),
             (networks, "EncoderSnn", "SnnEncoder"), (networks, "DecoderSnn", "SnnDecoder")]
    for module, old, new in pairs:
        assert getattr(module, old) is getattr(module, new)
        assert old not in getattr(module, "__all__", ()) and old not in snn.__all__
