"""Stereo JSCC models: shapes and gradients of every variant, ρ accounting, spiking hidden layers
(checked with hooks), GDN against its formula, operation counts against torch's FLOP counter,
CNN → SNN initialisation, and a short training run whose loss falls."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from spikevision.channels import measure_channel_uses
from spikevision.models.jscc import GDN, VARIANTS, StereoJscc, StereoJsccModel, count_operations
from spikevision.models.jscc.complexity import is_spike_tensor
from spikevision.models.jscc.layers import SpikingActivation
from spikevision.snn.neurons import reset_states

SMALL = dict(hidden_channels=16, latent_channels=24, kernel_size=5, num_layers=3)
SNN = dict(activation="spike", time_steps=4, neuron={"kind": "lif", "v_threshold": 0.5, "decay_input": False})


def pair(b: int = 2, size: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 3, size, size, generator=g), torch.rand(b, 3, size, size, generator=g)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("spiking", [False, True], ids=["cnn", "snn"])
def test_variants_shapes_and_gradients(variant, spiking):
    model = StereoJsccModel(system=dict(SMALL, variant=variant, **(SNN if spiking else {})))
    left, right = pair()
    out = model(left, right, snr_db=5.0)
    assert out["left"].shape == left.shape
    assert (out["right"] is None) == (variant == "side_info")
    assert float(out["left"].detach().min()) >= 0 and float(out["left"].detach().max()) <= 1
    loss, parts = model.loss_terms(out, {"left": left, "right": right})
    loss.backward()
    grads = [p.grad for p in model.system.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) > 0 for g in grads) >= 0.9 * len(grads)


@pytest.mark.parametrize("variant", VARIANTS)
def test_bandwidth_ratio_matches_measured_channel_uses(variant):
    system = StereoJscc(**SMALL, variant=variant)
    left, right = pair(b=1, size=64)
    uses = measure_channel_uses(system, lambda: system(left, right))
    rho = system.bandwidth_ratio(64, 64)
    assert rho == pytest.approx(1 / 16)
    per_view = [u for u in uses]
    if variant == "single":  # one call carries both views as a batch of 2
        assert per_view == [24 * 8 * 8 // 2]
    else:
        assert per_view == [24 * 8 * 8 // 2] * len(system.transmitted_views)
    assert per_view[0] / (3 * 64 * 64) == pytest.approx(rho)
    # the seed's shape: 25 latent channels at 128×128 → 3200 / 49152
    assert StereoJscc(latent_channels=25, hidden_channels=8).bandwidth_ratio(128, 128) == pytest.approx(3200 / 49152)


def _conv_inputs(system: nn.Module, left, right) -> dict[str, torch.Tensor]:
    seen: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda mod, args, out, n=n: seen.__setitem__(n, args[0].detach()))
             for n, m in system.named_modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        system(left, right, snr_db=5.0)
    for h in hooks:
        h.remove()
    return seen


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("neuron,levels", [({"kind": "lif", "v_threshold": 0.5}, {0.0, 1.0}),
                                           ({"kind": "if", "v_threshold": 0.5}, {0.0, 1.0}),
                                           ({"kind": "ilif", "max_spike_count": 3}, {0.0, 1.0, 2.0, 3.0})],
                         ids=["lif", "if", "ilif"])
def test_every_hidden_layer_of_the_snn_emits_spikes(variant, neuron, levels):
    """Every convolution except the first encoder layer (image), the channel head (time-mean of
    spikes), the decoder stem (channel symbols) and the readout receives spikes only."""
    system = StereoJscc(**SMALL, variant=variant, activation="spike", time_steps=4, neuron=neuron)
    left, right = pair()
    inputs = _conv_inputs(system, left, right)
    real_inputs = {n for n in inputs if n.endswith(("units.0.conv", "head", "stem_conv", "out_conv"))}
    spiking = set(inputs) - real_inputs
    assert len(spiking) >= 3  # conv2, conv3 of each encoder; the decoder's hidden transposed convs
    for name in spiking:
        values = set(torch.unique(inputs[name]).tolist())
        assert values <= levels, f"{name} receives non-spike values {sorted(values)[:5]}"
        assert len(values) > 1, f"{name} receives a constant (dead or saturated layer)"
    # the channel symbols themselves are signed reals (zero-mean head), not spike rates
    # and every neuron layer's output (including the last one before the readout) is spikes
    outputs: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda mod, a, out, n=n: outputs.__setitem__(n, out.detach()))
             for n, m in system.named_modules() if isinstance(m, SpikingActivation)]
    with torch.no_grad():
        system(left, right, snr_db=5.0)
    for h in hooks:
        h.remove()
    assert len(outputs) == len([m for m in system.modules() if isinstance(m, SpikingActivation)]) >= 5
    for name, spikes in outputs.items():
        values = set(torch.unique(spikes).tolist())
        assert values <= levels and len(values) > 1, f"{name}: {sorted(values)[:5]}"
    with torch.no_grad():
        z = system.encoder(left) if variant != "joint" else system.encoder_left(left)
    assert float(z.min()) < 0 < float(z.max())
    assert not is_spike_tensor(z)


def test_cnn_has_no_spikes_and_time_steps_are_ignored():
    system = StereoJscc(**SMALL, time_steps=4)
    assert not system.spiking and system.time_steps == 1
    inputs = _conv_inputs(system, *pair())
    assert not is_spike_tensor(inputs["encoder.units.1.conv"])


def test_gdn_matches_formula_and_inverse():
    torch.manual_seed(0)
    gdn = GDN(4)
    with torch.no_grad():
        gdn.gamma_sqrt.copy_(torch.rand(4, 4) * 0.5)
        gdn.beta_sqrt.copy_(torch.rand(4) + 0.5)
    x = torch.randn(2, 4, 3, 3)
    beta, gamma = gdn.coefficients()
    expected = torch.empty_like(x)
    for i in range(4):  # the formula, element by element
        expected[:, i] = x[:, i] / torch.sqrt(beta[i] + sum(gamma[i, j] * x[:, j] ** 2 for j in range(4)))
    torch.testing.assert_close(gdn(x), expected)
    igdn = GDN(4, inverse=True)
    igdn.load_state_dict(gdn.state_dict())
    torch.testing.assert_close(igdn(x), x * (x / expected))


def test_cnn_macs_match_torch_flop_counter():
    system = StereoJscc(**SMALL, variant="single").eval()
    left, right = pair(b=3)
    ops = count_operations(system, lambda: system(left, right), images=3)
    with FlopCounterMode(display=False) as counter:
        with torch.no_grad():
            system(left, right)
    conv_flops = sum(v for k, v in counter.get_flop_counts()["Global"].items()
                     if "convolution" in str(k))
    assert ops.dense_macs * 3 == pytest.approx(conv_flops / 2, rel=1e-6)
    assert ops.synops == 0 and ops.real_macs == ops.dense_macs


def test_snn_synops_are_rate_weighted_macs():
    system = StereoJscc(**SMALL, **SNN)  # train-mode BatchNorm: an untrained net fires in every layer
    left, right = pair()
    ops = count_operations(system, lambda: system(left, right, snr_db=5.0), images=2)
    spike_layers = [v for v in ops.layers.values() if v.spike_input]
    assert spike_layers
    for layer in spike_layers:
        assert layer.synops == pytest.approx(layer.macs * layer.input_rate)
        assert 0 < layer.input_rate < 1
    cnn = StereoJscc(**SMALL)
    cnn_ops = count_operations(cnn, lambda: cnn(left, right), images=2)
    # the SNN runs the spiking layers at every one of its T steps, the real-input layers once
    assert ops.dense_macs > cnn_ops.dense_macs
    assert ops.real_macs < cnn_ops.dense_macs


def test_snn_initialised_from_cnn_checkpoint(tmp_path):
    cnn = StereoJsccModel(system=dict(SMALL))
    path = tmp_path / "cnn.ckpt"
    torch.save({"state_dict": cnn.state_dict()}, path)
    snn = StereoJsccModel(system=dict(SMALL, **SNN), init_from=str(path))
    for name, tensor in cnn.state_dict().items():
        torch.testing.assert_close(snn.state_dict()[name], tensor)


def test_bad_inputs_give_clear_errors(tmp_path):
    system = StereoJscc(**SMALL)
    with pytest.raises(ValueError, match="multiples of 8"):
        system(torch.rand(1, 3, 30, 32), torch.rand(1, 3, 30, 32))
    with pytest.raises(ValueError, match="variant"):
        StereoJscc(variant="stereo")
    bad = tmp_path / "broken.ckpt"
    bad.write_bytes(b"not a checkpoint")
    from spikevision.errors import CheckpointError
    with pytest.raises(CheckpointError, match="broken.ckpt"):
        StereoJsccModel(system=dict(SMALL), init_from=str(bad))


def test_snr_conditioning_changes_the_output_with_the_snr():
    model = StereoJsccModel(system=dict(SMALL, snr_conditioning=True, channel={"kind": "awgn", "snr_db": math.inf}))
    model.eval()
    left, right = pair()
    with torch.no_grad():
        a = model(left, right, snr_db=0.0)["left"]
        b = model(left, right, snr_db=20.0)["left"]
    assert not torch.allclose(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("spiking", [False, True], ids=["cnn", "snn"])
def test_short_training_run_loss_falls(spiking):
    torch.manual_seed(0)
    model = StereoJsccModel(system=dict(SMALL, **(SNN if spiking else {})), learning_rate=3e-3, lr_schedule="none")
    opt = model.configure_optimizers()
    # a smooth image family (random low-frequency patterns) the codec can learn quickly
    g = torch.Generator().manual_seed(0)
    base = torch.rand(16, 3, 4, 4, generator=g)
    images = nn.functional.interpolate(base, size=(32, 32), mode="bilinear", align_corners=False)
    batch = {"left": images, "right": images.flip(-1)}
    losses = []
    for _ in range(40):
        out = model(batch["left"], batch["right"], snr_db=5.0)
        loss, _ = model.loss_terms(out, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5


def test_fused_cpu_path_of_multilevel_neuron_equals_spikingjelly():
    """The fused CPU I-LIF loop gives spikingjelly's multi-step ILIFNode values and gradients."""
    import copy

    from spikingjelly.activation_based import neuron as sj_neuron

    act = SpikingActivation({"kind": "ilif", "max_spike_count": 2}, time_steps=4)
    plain = copy.deepcopy(act)
    plain.neuron.__class__ = sj_neuron.ILIFNode
    x = torch.randn(4 * 3, 5, 6, 6, requires_grad=True)
    weights = torch.arange(12.0).view(12, 1, 1, 1)
    results = []
    for module in (act, plain):
        reset_states(module)
        y = module(x)
        (grad,) = torch.autograd.grad((y * weights).sum(), x)
        results.append((y.detach(), grad))
    assert set(torch.unique(results[0][0]).tolist()) <= {0.0, 1.0, 2.0}
    torch.testing.assert_close(results[0][0], results[1][0], rtol=0, atol=0)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-5, atol=1e-5)


def test_joint_variant_can_share_one_codec_between_views():
    shared = StereoJscc(**SMALL, variant="joint", share_views=True)
    separate = StereoJscc(**SMALL, variant="joint")
    assert shared.encoder_left is shared.encoder_right and shared.decoder_left is shared.decoder_right
    n_shared = sum(p.numel() for p in shared.parameters())
    n_codec = sum(p.numel() for p in separate.encoder_left.parameters()) + \
        sum(p.numel() for p in separate.decoder_left.parameters())
    assert sum(p.numel() for p in separate.parameters()) - n_shared == n_codec
    left, right = pair()
    out = shared(left, right, snr_db=5.0)
    assert out["left"].shape == out["right"].shape == left.shape
