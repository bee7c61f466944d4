"""The spikling Semi-UNet restorer: network, VGG perceptual loss, LightningModule, configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from spikevision import registry
from spikevision.cli.launch_scripts import merged_config
from spikevision.errors import ConfigError
from spikevision.losses.perceptual import (
    VGGPerceptualLoss,
    WeightsNotFoundError,
    load_vgg19_features,
)
from spikevision.models.spikecnn import SemiUNet, SpikeCnnModel
from spikevision.registry import instantiate_from_config

REPO = Path(__file__).resolve().parents[1]
TINY = str(REPO / "tests" / "configs" / "tiny_spikecnn.yaml")
TINY_NET = {"target": "spikevision.models.spikecnn.SemiUNet", "params": {"in_channels": 8, "ch": 4}}


@pytest.fixture()
def empty_hub(tmp_path, monkeypatch):
    """A torch hub cache without any weights."""
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield tmp_path / "hub"
    torch.hub.set_dir(old)


def test_semi_unet_shapes_residual_and_gradients():
    net = SemiUNet(in_channels=8, ch=4)
    x = torch.rand(2, 8, 16, 20, requires_grad=True)
    y = net(x)
    assert y.shape == (2, 1, 16, 20)
    y.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in net.parameters())
    # the input window reaches the 1×1 projection directly (the semi-U-Net's residual path)
    assert net.project.in_channels == 8 and net.up1[-2].out_channels == 8
    with pytest.raises(ValueError, match="divisible by 4"):
        net(torch.rand(1, 8, 10, 16))


def test_semi_unet_inits():
    x = (torch.rand(2, 8, 16, 16) < 0.3).float()
    # "window": the untrained network is the window method (mean of the signed spikes)
    model = SpikeCnnModel(network={**TINY_NET, "params": {**TINY_NET["params"], "init": "window"}}, vgg="off")
    assert torch.allclose(model(x)[:, 0], x.mean(1), atol=1e-6)
    torch.manual_seed(0)
    spikling = SemiUNet(in_channels=8, ch=4, init="spikling")  # N(0, 0.02), as spikling's weights_init
    assert abs(spikling.level2[0].weight.std().item() - 0.02) < 0.004
    with pytest.raises(ValueError, match="init must be"):
        SemiUNet(init="xavier")


def test_model_pads_odd_sizes_and_maps_to_unit_range():
    model = SpikeCnnModel(network=TINY_NET, vgg_weight=0.0)
    x = (torch.rand(3, 8, 1, 34, 30) < 0.5).float()
    assert model(x).shape == (3, 1, 34, 30)
    assert model(x[:, :, 0]).shape == (3, 1, 34, 30)  # [B, T, H, W] too
    restored = model.restore(x[:, :, 0])
    assert restored.shape == (3, 34, 30) and restored.min() >= 0 and restored.max() <= 1
    with torch.no_grad():  # output = (net(2x − 1) + 1) / 2
        manual = (model.net(torch.nn.functional.pad(x[:, :, 0] * 2 - 1, (0, 2, 0, 2)))[..., :34, :30] + 1) / 2
    assert torch.allclose(model(x), manual, atol=1e-6)
    with pytest.raises(ValueError, match="takes 8 spike frames"):
        model(torch.rand(1, 6, 1, 16, 16))


def test_vgg_perceptual_loss_random_and_local_weights(tmp_path):
    # VGG19 features[:16] = conv1_1 … relu3_3: convs at torchvision's indices, up to 256 channels
    convs = [k.split(".")[0] for k in load_vgg19_features("random", 16).state_dict() if k.endswith("weight")]
    assert convs == ["0", "2", "5", "7", "10", "12", "14"]
    torch.manual_seed(0)
    loss = VGGPerceptualLoss(weights="random", num_layers=4)
    a, b = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    assert loss(a, a).item() == pytest.approx(0.0, abs=1e-10)
    pred = b.clone().requires_grad_(True)
    value = loss(pred, a)
    value.backward()
    assert value.item() > 0 and pred.grad is not None
    assert all(p.grad is None and not p.requires_grad for p in loss.parameters())
    loss.train()
    assert not loss.features.training
    # hand computation: MSE of the features of the ImageNet-normalised RGB copies
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        fa, fb = (loss.features((t.expand(-1, 3, -1, -1) - mean) / std) for t in (a, b))
    assert loss(b, a).item() == pytest.approx(torch.mean((fb - fa) ** 2).item(), rel=1e-5)
    # a local file holding the whole VGG19 (``features.N`` keys) or only its features
    whole = {f"features.{k}": v for k, v in loss.features.state_dict().items()}
    whole["classifier.0.weight"] = torch.zeros(1)
    torch.save(whole, tmp_path / "vgg_whole.pth")
    torch.save(loss.features.state_dict(), tmp_path / "vgg_features.pth")
    for name in ("vgg_whole.pth", "vgg_features.pth"):
        loaded = load_vgg19_features(tmp_path / name, num_layers=4)
        assert torch.equal(loaded[0].weight, loss.features[0].weight)
    torch.save({"0.weight": torch.zeros(3)}, tmp_path / "bad.pth")
    with pytest.raises(WeightsNotFoundError, match="does not hold VGG19"):
        load_vgg19_features(tmp_path / "bad.pth", num_layers=4)


def test_missing_vgg_stops_the_build_unless_vgg_is_off(empty_hub):
    with pytest.raises(WeightsNotFoundError, match="vgg19-dcbb9e9d.pth"):
        VGGPerceptualLoss(weights="imagenet")
    with pytest.raises(WeightsNotFoundError, match="missing.pth"):
        VGGPerceptualLoss(weights="/nowhere/missing.pth")
    # the default (spikling's 100·L2 + 1·VGG) needs the ImageNet VGG19: no silent L2-only fallback
    for vgg in (None, {"weights": "imagenet"}, {"weights": "auto"}):
        with pytest.raises(WeightsNotFoundError, match="vgg19-dcbb9e9d.pth"):
            SpikeCnnModel(network=TINY_NET, vgg=vgg)
    # said in the config: `vgg: off` (YAML reads it as False), "off", or a zero VGG weight
    for kwargs in ({"vgg": False}, {"vgg": "off"}, {"vgg_weight": 0.0}):
        model = SpikeCnnModel(network=TINY_NET, **kwargs)
        assert model.perceptual is None and model.vgg_weight == 0.0
        assert model.hparams.vgg is False or model.hparams.vgg_weight == 0.0
    assert OmegaConf.create("vgg: off").vgg is False
    with pytest.raises(ValueError, match="needs a loss"):
        SpikeCnnModel(network=TINY_NET, l2_weight=0.0, vgg="off")
    with pytest.raises(ValueError, match="vgg must be"):
        SpikeCnnModel(network=TINY_NET, vgg="imagenet")


def test_loss_follows_spikling_scaling():
    """``100 · MSE + w · VGG`` of the [−1, 1] images, the VGG fed them un-normalised (spikling)."""
    torch.manual_seed(0)
    model = SpikeCnnModel(network=TINY_NET, l2_weight=100.0, vgg_weight=2.0,
                          vgg={"weights": "random", "num_layers": 4})
    assert model.loss_range == (-1.0, 1.0) and model.perceptual.normalize is False
    pred, target = torch.tensor([[[[0.0, 0.25], [0.5, 1.0]]]]), torch.tensor([[[[0.5, 0.25], [1.0, 0.0]]]])
    loss, parts = model.compute_loss(pred, target)
    # signed images: pred −1, −0.5, 0, 1 and target 0, −0.5, 1, −1 → MSE (1 + 0 + 1 + 4) / 4 = 1.5
    assert parts["l2"].item() == pytest.approx(1.5)
    features = model.perceptual.features
    with torch.no_grad():
        fp, ft = (features((2 * t - 1).repeat(1, 3, 1, 1)) for t in (pred, target))
    vgg = torch.mean((fp - ft) ** 2).item()
    assert parts["vgg"].item() == pytest.approx(vgg, rel=1e-5)
    assert loss.item() == pytest.approx(100 * 1.5 + 2 * vgg, rel=1e-5)
    # configurable: [0, 1] images and ImageNet-normalised VGG inputs (this project's old scaling)
    old = SpikeCnnModel(network=TINY_NET, vgg_weight=0.0, loss_range=[0, 1])
    assert old.compute_loss(pred, target)[1]["l2"].item() == pytest.approx(1.5 / 4)
    with pytest.raises(ValueError, match="loss_range"):
        SpikeCnnModel(network=TINY_NET, vgg="off", loss_range=[1, 1])


def test_old_loss_weight_names_still_work():
    registry._WARNED_RENAMES.difference_update({("SpikeCnnModel", "lambda_l2"), ("SpikeCnnModel", "lambda_vgg")})
    with pytest.warns(DeprecationWarning, match="'lambda_l2' is now called 'l2_weight'"):
        model = SpikeCnnModel(network=TINY_NET, lambda_l2=3.0, lambda_vgg=0.0)
    assert model.l2_weight == 3.0 and model.vgg_weight == 0.0 and model.perceptual is None
    assert "lambda_l2" not in model.hparams and model.hparams.l2_weight == 3.0
    with pytest.raises(ConfigError, match="'lambda_l2' is the old name of 'l2_weight'"):
        SpikeCnnModel(network=TINY_NET, lambda_l2=3.0, l2_weight=5.0, vgg="off")
    with pytest.raises(TypeError, match="unexpected keyword"):
        SpikeCnnModel(network=TINY_NET, vgg="off", lambda_gan=1.0)


def test_loss_is_weighted_sum_and_vgg_not_checkpointed():
    torch.manual_seed(0)
    model = SpikeCnnModel(network=TINY_NET, l2_weight=100.0, vgg_weight=2.0,
                          vgg={"weights": "random", "num_layers": 4})
    pred, target = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    loss, parts = model.compute_loss(pred, target)
    l2 = torch.mean((2 * pred - 2 * target) ** 2)
    assert parts["l2"].item() == pytest.approx(l2.item(), rel=1e-6)
    assert loss.item() == pytest.approx(100 * l2.item() + 2 * parts["vgg"].item(), rel=1e-6)
    assert not any(k.startswith("perceptual") for k in model.state_dict())
    opt = model.configure_optimizers()
    assert opt.defaults["lr"] == 2e-4 and opt.defaults["betas"] == (0.5, 0.999)


@pytest.mark.parametrize("vgg", [{"weights": "random", "num_layers": 4}, "off"])
def test_short_training_lowers_the_loss(vgg):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    image = rng.random((4, 1, 16, 16)).astype(np.float32)
    from spikevision.simulate import simulate_spikes

    spikes = simulate_spikes(image.reshape(64, 16), 8, seed=1).reshape(8, 4, 16, 16).transpose(1, 0, 2, 3)
    x, y = torch.from_numpy(spikes.astype(np.float32)), torch.from_numpy(image)
    model = SpikeCnnModel(network=TINY_NET, vgg_weight=1.0, vgg=vgg, learning_rate=2e-3)
    assert (model.perceptual is None) == (vgg == "off")
    opt = model.configure_optimizers()
    losses = []
    for _ in range(15):
        loss, _ = model.compute_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("name", ["ndigits", "pairs", "ucaltech", "ucifar"])
def test_stage1_configs_build(name, tmp_path, empty_hub):
    cfg = merged_config([REPO / "train" / "stage_1" / f"run_spikecnn_{name}.sh"])
    if name == "ndigits":  # the CPU run says `vgg=off` (L2 only) on purpose
        assert cfg.model.params.vgg is False
    else:  # the full spikling loss: offline, the missing VGG19 stops the build
        with pytest.raises(WeightsNotFoundError, match="vgg19-dcbb9e9d.pth"):
            instantiate_from_config(cfg.model, key_path="model")
        cfg.model.params.vgg.weights = "random"
    model = instantiate_from_config(cfg.model, key_path="model")
    assert isinstance(model, SpikeCnnModel) and model.l2_weight == 100.0 and model.loss_range == (-1.0, 1.0)
    assert (model.perceptual is None) == (name == "ndigits")
    assert cfg.model.base_learning_rate == 2.0e-4 and cfg.model.scale_lr is False
    root = tmp_path / "data"
    root.mkdir()
    if name in ("ucaltech", "ucifar"):
        from spikevision.io import write_uhsr_npz

        for split in ("train", "test"):
            (root / split).mkdir()
            write_uhsr_npz(root / split / "0.npz", np.zeros((200, 250, 250), np.uint8), label=0)
    elif name == "pairs":
        from spikevision.data.spike_pairs_builder import build_spike_pairs

        frames = np.random.default_rng(0).random((40 * 32, 16, 16), dtype=np.float32)
        build_spike_pairs([frames], root, size=(16, 16), progress=False, overwrite=True)
    cfg = OmegaConf.merge(cfg, {"dataset_root": str(root)})
    data = instantiate_from_config(cfg.data, key_path="data")
    data.setup()
    split = "validation" if name == "pairs" else "test"
    item = data.dataset(split)[0]
    assert item["input"].shape[0] * item["input"].shape[1] == model.input_frames


@pytest.mark.slow
def test_trainer_cli_run_then_convert_with_checkpoint(tmp_path):
    from spikevision.cli.spike_convert import run as convert
    from spikevision.cli.train import run
    from spikevision.io import write_spike_dat

    result = run(["--base", TINY, "-l", str(tmp_path / "logs"), "-n", "cnn", "--no-test"])
    ckpt = result.logdir / "checkpoints" / "last.ckpt"
    assert ckpt.is_file() and list((result.logdir / "images" / "train").glob("comparison_*.png"))
    assert "val/psnr" in result.validate_after
    dat = tmp_path / "rec.dat"
    write_spike_dat(dat, (np.random.default_rng(0).random((40, 16, 24)) < 0.3).astype(np.uint8))
    out = convert([str(dat), "--height", "16", "--width", "24", "--method", "model", "--checkpoint", str(ckpt),
                   "--video", str(tmp_path / "m.mp4"), "--stride", "4", "--quiet"])
    import imageio.v3 as iio

    assert np.stack(list(iio.imiter(out))).shape[:3] == (10, 16, 24)


def test_checkpoint_saved_under_the_old_names_loads_for_inference(tmp_path, empty_hub):
    """Hyper-parameters from before the rename (lambda_*, vgg weights 'auto') still load, without VGG."""
    import lightning

    from spikevision.stages import load_lightning_checkpoint

    model = SpikeCnnModel(network=TINY_NET, vgg="off")
    old_hparams = {"network": TINY_NET, "lambda_l2": 100.0, "lambda_vgg": 1.0,
                   "vgg": {"weights": "auto", "num_layers": 16, "normalize": True},
                   "learning_rate": 2e-4, "betas": [0.5, 0.999], "monitor": "val/psnr", "monitor_mode": "max"}
    ckpt = tmp_path / "old.ckpt"
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": old_hparams,
                "pytorch-lightning_version": lightning.__version__}, ckpt)
    loaded = load_lightning_checkpoint(SpikeCnnModel, ckpt)
    assert loaded.perceptual is None and loaded.l2_weight == 100.0
    x = (torch.rand(1, 8, 16, 16) < 0.5).float()
    assert torch.allclose(loaded(x), model(x))
