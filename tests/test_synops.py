"""MACs, SynOps and the energy estimate (spikevision.metrics.synops) against hand counts on a tiny
conv net with a known spike pattern, against torch's FLOP counter, and in the perf report."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from spikevision.metrics.perf import measure
from spikevision.metrics.synops import E_AC_J, E_MAC_J, count_operations, format_operations

# spikes of a 4×4 sensor: a corner, two interior pixels, two edge pixels
SPIKES = [(0, 0), (1, 1), (2, 2), (3, 1), (1, 3)]
# each spike lies in this many 3×3 windows of the padded 4×4 map: 4 (corner), 9, 9, 6, 6
WINDOW_COUNTS = 34


class Fire(nn.Module):
    """Multi-level 'spikes': the integer part of the (non-negative) input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.floor(torch.relu(x))


def tiny_net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, bias=False), Fire(), nn.Conv2d(2, 3, 1), nn.Flatten(),
                        nn.Linear(3 * 4 * 4, 5))
    nn.init.ones_(net[0].weight)  # conv_a counts the spikes of each 3×3 window: multi-level spikes out
    return net.eval()


def spike_input(batch: int = 1) -> torch.Tensor:
    x = torch.zeros(batch, 1, 4, 4)
    for r, c in SPIKES:
        x[:, 0, r, c] = 1.0
    return x


@pytest.mark.parametrize("batch", [1, 3])
def test_hand_counted_macs_synops_and_energy(batch):
    net = tiny_net()
    x = spike_input(batch)
    ops = count_operations(net, lambda: net(x), images=batch)
    a, b, fc = ops.layers["0"], ops.layers["2"], ops.layers["4"]
    # conv_a: 2 outputs × 16 positions × (1 channel × 9 taps) MACs; 5 spikes × mean fan-out 288/16 = 18
    assert a.macs == 2 * 16 * 9 == 288 and a.spike_input and a.synops == 5 * 18
    # conv_b (1×1, 2 → 3) is fed window counts (2 channels × 34 spikes); every input element has
    # fan-out 3 here (no padding): SynOps = Σ counts × 3 = the exact number of accumulates
    assert b.macs == 3 * 16 * 2 and b.spike_input and b.synops == 2 * WINDOW_COUNTS * 3 == 204
    assert b.input_rate == pytest.approx(2 * WINDOW_COUNTS / 32)
    # the linear layer is fed real values: MACs, no SynOps
    assert fc.macs == 5 * 48 and not fc.spike_input and fc.synops == 0 and fc.real_macs == 240
    assert fc.nonzero_macs == 240 and a.nonzero_macs == 0  # dense real input; spike inputs cost SynOps
    assert ops.dense_macs == 288 + 96 + 240 and ops.real_macs == 240 and ops.synops == 90 + 204
    assert ops.energy_dense_j == pytest.approx(624 * 4.6e-12)
    assert ops.energy_spiking_j == pytest.approx(240 * 4.6e-12 + 294 * 0.9e-12)
    assert ops.energy_zero_skip_j == pytest.approx(ops.energy_spiking_j)  # no zeros among real inputs
    summary = ops.summary()
    assert summary["e_mac_pj"] == pytest.approx(4.6) and summary["e_ac_pj"] == pytest.approx(0.9)
    assert "Horowitz" in summary["energy_source"] and (E_MAC_J, E_AC_J) == (4.6e-12, 0.9e-12)
    assert summary["energy_ratio"] == pytest.approx((240 * 4.6 + 294 * 0.9) / (624 * 4.6))
    assert "SynOps" in format_operations(summary)


def test_global_hooks_count_the_same_without_a_model():
    net = tiny_net()
    x = spike_input()
    named = count_operations(net, lambda: net(x)).summary()
    anonymous = count_operations(None, lambda: net(x))
    assert list(anonymous.layers) == ["0:Conv2d", "1:Conv2d", "2:Linear"]
    assert anonymous.summary() == named
    assert count_operations(None, lambda: net(x)).synops == 294  # the global hook is gone afterwards


def test_repeated_calls_add_up_and_real_input_costs_macs():
    net = tiny_net()
    x = spike_input()
    ops = count_operations(net, lambda: (net(x), net(x * 0.5)), images=1)  # 0.5: not spikes
    a = ops.layers["0"]
    assert a.calls == 2 and a.macs == 2 * 288 and a.synops == 90 and a.real_macs == 288
    # the real call has 5 non-zero inputs of mean fan-out 18: 90 MACs when zeros are skipped
    assert a.nonzero_macs == 90 and a.input_rate == pytest.approx(1.5 * 5 / 32)


def test_dense_macs_match_torch_flop_counter():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, groups=1), nn.ReLU(),
                        nn.Conv2d(8, 8, 3, padding=1, groups=4), nn.ConvTranspose2d(8, 4, 4, 2, 1),
                        nn.Flatten(1, 2), nn.Conv1d(4 * 16, 6, 3), nn.Flatten(), nn.Linear(6 * 14, 10))
    x = torch.rand(2, 3, 16, 16)
    ops = count_operations(net, lambda: net(x), images=1)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(x)
    assert ops.dense_macs == pytest.approx(counter.get_total_flops() / 2, rel=1e-9)


def test_perf_report_carries_the_operations_of_one_sample():
    net = tiny_net()
    report = measure(lambda b: net(b), spike_input(), batch_size=2, repeats=2, warmup=1)
    assert report.operations["synops"] == 294 and report.operations["dense_macs"] == 624
    assert report.as_dict()["operations"]["energy_spiking_j"] == pytest.approx(240 * 4.6e-12 + 294 * 0.9e-12)
    assert measure(lambda b: net(b), spike_input(), batch_size=2, repeats=1, warmup=1,
                   count_ops=False).operations is None


# ---------------------------------------------------------------------------------- families


def test_spikeclip_evaluate_counts_each_reconstruction():
    from spikevision.cli.spikeclip_evaluate import stage_operations
    from spikevision.models.recon import SnnReconModel
    from spikevision.models.spikeclip.refiner import RefinerUNet

    torch.manual_seed(0)
    pipe = nn.Module()
    pipe.stage1 = SnnReconModel(network={"target": "spikevision.models.recon.SnnUNet",
                                         "params": {"in_channels": 2, "ch": 4, "ch_mult": [1, 2]}},
                                time_steps=2).eval()
    pipe.stage3 = None
    pipe.refiner = RefinerUNet(ch=4, ch_mult=[1, 2]).eval()
    x = torch.rand(1, 2, 2, 8, 8)
    ops = stage_operations(pipe, x)
    assert set(ops) == {"stage1", "refined"}
    alone = count_operations(pipe.refiner, lambda: pipe.refiner(pipe.stage1(x)))
    assert ops["refined"]["dense_macs"] == pytest.approx(ops["stage1"]["dense_macs"] + alone.dense_macs)
    s1 = ops["stage1"]
    # the U-Net's convolutions see spike-gated values x·LIF(x): real, with zeros where no spike
    assert 0 < s1["nonzero_macs"] < s1["real_macs"] <= s1["dense_macs"]
    assert s1["energy_zero_skip_j"] < s1["energy_spiking_j"]


def test_generation_evaluate_counts_stage1_and_one_sample():
    from spikevision.cli.generation_evaluate import generation_operations
    from spikevision.models.transformer import SnnTransformerModel

    torch.manual_seed(0)
    ddconfig = {"in_channels": 2, "out_channels": 2, "ch": 4, "ch_mult": [1, 2], "num_res_blocks": 1,
                "attn_resolutions": [], "resolution": 8, "z_channels": 4}
    loss = {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator",
            "params": {"disc_in_channels": 2, "disc_ndf": 4, "disc_num_layers": 1, "disc_start": 100}}
    stage1 = {"target": "spikevision.models.vqvae.SnnVQModel",
              "params": {"network": ddconfig, "n_embed": 8, "embed_dim": 4, "time_steps": 2,
                         "input_coding": "bins", "output": "frames", "image_key": "input", "input_clip": 1.0,
                         "crop": 8, "loss": loss}}
    prior = SnnTransformerModel(network={"target": "spikevision.models.transformer.SnnGPT",
                                         "params": {"n_layer": 1, "n_head": 1, "n_embd": 8, "time_steps": 2}},
                                first_stage=stage1).eval()
    nn.init.normal_(prior.transformer.blocks[0].mlp[0].weight, 0.0, 1.0)  # an untrained GPT (σ 0.02) is silent
    item = prior.first_stage.get_input({"input": torch.randint(0, 2, (1, 2, 2, 8, 8)).float()})
    ops = generation_operations(prior, item)
    decoder = count_operations(prior.first_stage.decoder, lambda: prior.first_stage(item))
    assert ops["stage1"]["dense_macs"] > decoder.dense_macs > 0  # encoder + decoder
    # a sample: 16 cached token steps through the GPT, whose MLP's second Linear is fed LIF spikes
    sample = ops["sample"]
    assert sample["synops"] > 0 and sample["dense_macs"] > decoder.dense_macs
    assert ops == generation_operations(prior, item)  # seeded: the same sample, the same counts
