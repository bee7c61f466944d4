"""Per-layer firing rates: the shared monitor finds every family's spiking layers, agrees with
spikingjelly's ``OutputMonitor``, carries hooks only while enabled; the ``FiringRates`` callback
logs scalars, a TensorBoard histogram and a PNG at validation, with no hooks in training steps."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from spikingjelly.activation_based import monitor as sj_monitor
from spikingjelly.activation_based.neuron import BaseNode
from torch import nn
from torch.utils.data import DataLoader

from spikevision.callbacks import FiringRates
from spikevision.models.jscc import StereoJscc
from spikevision.models.jscc.layers import SpikingActivation
from spikevision.models.recon import SnnReconModel, SnnUNet
from spikevision.models.spikecnn import SemiUNet, SpikeCnnModel
from spikevision.models.transformer import SnnGPT
from spikevision.models.vqvae.networks import SnnDecoder, SnnEncoder
from spikevision.snn.firing import FiringRateMonitor, hooked_layers, mean_output, spiking_layers
from spikevision.snn.neurons import make_neuron

JSCC_SNN = dict(hidden_channels=8, latent_channels=8, kernel_size=3, num_layers=2, activation="spike", time_steps=2)
VQ = {"ch": 8, "ch_mult": [1, 2], "num_res_blocks": 1, "attn_resolutions": [8], "resolution": 16, "z_channels": 4}


def neuron_names(net: nn.Module) -> set[str]:
    return {name for name, m in net.named_modules() if isinstance(m, BaseNode)}


@pytest.mark.parametrize("net", [
    SnnUNet(in_channels=2, ch=8, ch_mult=(1, 2), attn_levels=(1,)),
    SnnEncoder(in_channels=2, **VQ), SnnDecoder(out_channels=2, **VQ),
    SnnGPT(vocab_size=8, block_size=4, n_layer=2, n_head=1, n_embd=8),
], ids=["recon_unet", "vq_encoder", "vq_decoder", "gpt_prior"])
def test_every_spikingjelly_neuron_of_a_family_is_a_layer(net):
    layers = FiringRateMonitor(net).layers
    assert layers and set(layers) == neuron_names(net) and len(layers) == len(set(layers))


def test_layer_names_of_blocks():
    unet = FiringRateMonitor(SnnUNet(in_channels=2, ch=8, ch_mult=(1, 2))).layers
    assert "act_out.lif" in unet and "mid.1.q_lif" in unet  # LIFNonlinearity's neuron, attention's
    gpt = FiringRateMonitor(SnnGPT(vocab_size=8, block_size=4, n_layer=1, n_head=1, n_embd=8)).layers
    assert gpt == ["blocks.0.attn.q_lif", "blocks.0.attn.k_lif", "blocks.0.attn.v_lif", "blocks.0.mlp.1"]


@pytest.mark.parametrize("kind", ["lif", "ilif"])
def test_jscc_layers_are_its_spiking_activations_and_rates_equal_spikingjelly_monitor(kind):
    torch.manual_seed(0)
    system = StereoJscc(**JSCC_SNN, neuron={"kind": kind})  # train-mode BatchNorm: every layer fires
    monitor = FiringRateMonitor(system)
    acts = [n for n, m in system.named_modules() if isinstance(m, SpikingActivation)]
    assert monitor.layers == acts and not any(n.endswith(".neuron") for n in monitor.layers)
    reference = sj_monitor.OutputMonitor(system, SpikingActivation, mean_output)  # the old JSCC monitor
    left, right = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    with torch.no_grad(), monitor:
        system(left, right, snr_db=5.0)
        system(left.flip(0), right, snr_db=0.0)  # two calls: equal weight per call
    reference.remove_hooks()
    rates = monitor.rates()
    assert list(rates) == acts
    for name, rate in rates.items():
        assert rate == pytest.approx(float(torch.stack(reference[name]).mean()), rel=1e-6)
        assert 0 < rate < (2 if kind == "ilif" else 1)


def test_rates_by_hand_and_hooks_only_while_enabled():
    neuron = make_neuron({"kind": "if", "v_threshold": 1.0, "v_reset": 0.0})
    net = nn.Sequential(nn.Identity(), neuron)
    monitor = FiringRateMonitor(net)
    assert monitor.layers == ["1"] and hooked_layers(net) == []
    # IF, threshold 1, hard reset: input 0.6 per step for T=4 fires at steps 2 and 4 → rate 0.5;
    # input 1.0 fires every step → rate 1
    x1 = torch.full((4, 1, 3), 0.6)
    x2 = torch.full((4, 1, 3), 1.0)
    net(x1)  # disabled: nothing recorded, no hooks
    neuron.reset()
    assert monitor.rates() == {}
    monitor.enable()
    monitor.enable()  # idempotent: one hook
    assert hooked_layers(net) == ["1"] and len(neuron._forward_hooks) == 1
    net(x1)
    neuron.reset()
    net(x2)
    neuron.reset()
    monitor.disable()
    assert hooked_layers(net) == []
    assert monitor.rates() == {"1": pytest.approx((0.5 + 1.0) / 2)}
    monitor.reset()
    assert monitor.rates() == {}


def test_lif_nonlinearity_rate_is_its_neurons_spike_rate():
    from spikingjelly.activation_based import neuron

    from spikevision.snn.neurons import LIF_DEFAULTS, LIFNonlinearity

    torch.manual_seed(0)
    layer = LIFNonlinearity()
    x = torch.randn(4, 2, 3, 5, 5)
    reference = neuron.LIFNode(tau=LIF_DEFAULTS["tau"], v_threshold=LIF_DEFAULTS["v_threshold"], step_mode="m")
    expected = float(reference(x).mean())
    with FiringRateMonitor(layer) as monitor:  # the fused x·LIF(x) path must not hide the spikes
        out = layer(x)
    assert monitor.rates() == {"lif": pytest.approx(expected)} and 0 < expected < 1
    layer.lif.reset()
    torch.testing.assert_close(out, layer(x))  # same values with and without the monitor


def test_cnn_has_no_spiking_layers():
    assert spiking_layers(SemiUNet(in_channels=4, ch=4)) == []


# ---------------------------------------------------------------------------------- callback


def recon_items(n: int = 4, t: int = 2) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [{"input": torch.rand(t, 2, 8, 8, generator=g) * 3, "image": torch.rand(1, 8, 8, generator=g)}
            for _ in range(n)]


class HookProbe(pl.Callback):
    """Records which spiking layers carry hooks during training and validation batches."""

    def __init__(self) -> None:
        self.train, self.val, self.sanity = [], [], []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.train.append(hooked_layers(pl_module))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.train.append(hooked_layers(pl_module))

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        (self.sanity if trainer.sanity_checking else self.val).append(hooked_layers(pl_module))


def fit(model: pl.LightningModule, tmp_path, probe: pl.Callback | None = None) -> tuple[pl.Trainer, FiringRates]:
    callback = FiringRates()
    loggers = [CSVLogger(tmp_path, name="csv"), TensorBoardLogger(tmp_path, name="tb")]
    trainer = pl.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=2, num_sanity_val_steps=1,
                         default_root_dir=str(tmp_path), logger=loggers, accelerator="cpu",
                         callbacks=[callback, *([probe] if probe else [])], enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    items = recon_items()
    trainer.fit(model, DataLoader(items, batch_size=2), DataLoader(items, batch_size=2))
    return trainer, callback


def test_callback_logs_rates_histogram_and_png_without_training_hooks(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    torch.manual_seed(0)
    model = SnnReconModel(network={"target": "spikevision.models.recon.SnnUNet",
                                   "params": {"in_channels": 2, "ch": 8, "ch_mult": [1, 2]}},
                          time_steps=2, learning_rate=1e-3)
    probe = HookProbe()
    trainer, callback = fit(model, tmp_path, probe)
    layers = FiringRateMonitor(model).layers
    assert probe.train and all(h == [] for h in probe.train)  # training steps run without hooks
    assert probe.sanity == [[]]  # the sanity check is not recorded
    assert probe.val and all(h == layers for h in probe.val)
    assert hooked_layers(model) == []  # removed after validation
    # the logged rates equal spikingjelly's OutputMonitor on the same validation batches
    reference = sj_monitor.OutputMonitor(model, BaseNode, mean_output)
    model.eval()
    with torch.no_grad():
        for batch in DataLoader(recon_items(), batch_size=2):
            model(batch["input"])
    reference.remove_hooks()
    metrics = trainer.callback_metrics
    expected = {name: float(torch.stack(reference[name]).mean()) for name in layers}
    for name, value in expected.items():
        assert float(metrics[f"val/firing/{name}"]) == pytest.approx(value, rel=1e-5)
    assert float(metrics["val/firing_mean"]) == pytest.approx(sum(expected.values()) / len(expected), rel=1e-5)
    assert 0 < float(metrics["val/firing_mean"]) < 1
    assert callback.last_plot == tmp_path / "firing_rates" / "val-epoch-0000-step-000002.png"
    assert callback.last_plot.is_file() and callback.last_plot.stat().st_size > 1000
    events = EventAccumulator(str(trainer.loggers[1].log_dir))
    events.Reload()
    assert "val/firing_rates" in events.Tags()["histograms"]
    hist = events.Histograms("val/firing_rates")[-1].histogram_value
    assert hist.num == len(layers) and hist.sum == pytest.approx(sum(expected.values()), rel=1e-4)
    assert f"val/firing/{layers[0]}" in events.Tags()["scalars"]


def test_callback_is_a_no_op_without_spiking_layers(tmp_path):
    model = SpikeCnnModel(network={"target": "spikevision.models.spikecnn.SemiUNet",
                                   "params": {"in_channels": 4, "ch": 4}}, vgg="off")
    trainer, callback = fit(model, tmp_path)
    assert not any("firing" in k for k in trainer.callback_metrics)
    assert callback.last_plot is None and not (tmp_path / "firing_rates").exists()


# ---------------------------------------------------------------------------------- trainer CLI


@pytest.mark.slow
@pytest.mark.parametrize("config, spiking", [("tiny_recon.yaml", True), ("tiny_vqvae.yaml", True),
                                             ("tiny_spikecnn.yaml", False)])
def test_train_cli_writes_firing_rates_and_training_curves_by_default(config, spiking, tmp_path, ndigits):
    import csv
    from pathlib import Path

    from spikevision.cli.train import run as train

    base = Path(__file__).parent / "configs" / config
    result = train(["--base", str(base), "-l", str(tmp_path), "-n", "run", "--no-test"])
    assert (result.logdir / "curves" / "training_curves.png").is_file()  # every family, by default
    charts = list((result.logdir / "firing_rates").glob("val-epoch-*.png"))
    rows = [r for f in result.logdir.glob("csv/*/metrics.csv") for r in csv.DictReader(open(f))]
    logged = {k for r in rows for k, v in r.items() if v not in (None, "")}
    if spiking:
        assert charts and "val/firing_mean" in logged
        assert any(k.startswith("val/firing/") for k in logged)
    else:
        assert not charts and not any("firing" in k for k in logged)
    if config != "tiny_recon.yaml":
        return
    # disabled like any default callback
    again = train(["--base", str(base), "-l", str(tmp_path), "-n", "off", "--no-test",
                   "lightning.callbacks.firing_rates=null", "lightning.callbacks.training_curves=null"])
    assert not (again.logdir / "firing_rates").exists() and not (again.logdir / "curves").exists()
