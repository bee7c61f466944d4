"""The official SpikeCLIP release's coarse network (models/spikeclip/official_coarse_net.py): its
architecture and state-dict key names as the release has them, the loader of the release's weights
file format, the config overlay, and the release's weights evaluated by our spikeclip_evaluate."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spikevision.cli.launch_scripts import merged_config
from spikevision.errors import CheckpointError, CheckpointMismatchError
from spikevision.io import write_uhsr_npz
from spikevision.models.recon import SnnReconModel
from spikevision.models.spikeclip.official_coarse_net import (
    OfficialCoarseNet,
    load_official_weights,
    read_official_state_dict,
)
from spikevision.registry import instantiate_from_config

REPO = Path(__file__).resolve().parents[1]
# the release's state dict (models/LRN_CALTECH.pth of chenkang455/SpikeCLIP): key -> shape
RELEASE_KEYS = OrderedDict([
    ("0.0.weight", (64, 50, 3, 3)), ("0.0.bias", (64,)),
    ("1.0.weight", (128, 64, 3, 3)), ("1.0.bias", (128,)),
    ("2.0.weight", (64, 128, 3, 3)), ("2.0.bias", (64,)),
    ("3.0.weight", (16, 64, 3, 3)), ("3.0.bias", (16,)),
    ("4.weight", (1, 16, 3, 3)), ("4.bias", (1,)),
])
STACK = ["train/base/spikeclip.yaml", "train/data/ucifar.yaml", "train/base/spikeclip_official_net.yaml"]
TINY_CLIP = ["model.params.clip.model_name=spikevision-tiny", "model.params.clip.pretrained=null"]


def release_forward(state: dict[str, torch.Tensor], counts: torch.Tensor) -> torch.Tensor:
    """The release's network written out as functions: conv 3×3 (padding 1) + ReLU four times, a
    last conv; ``counts`` ``[B, 50, H, W]``."""
    x = counts
    for i in range(4):
        x = F.relu(F.conv2d(x, state[f"{i}.0.weight"], state[f"{i}.0.bias"], padding=1))
    return F.conv2d(x, state["4.weight"], state["4.bias"], padding=1)


def release_file(path: Path, net: nn.Module) -> Path:
    """Save ``net``'s weights as the release does: ``torch.save(state_dict)`` of CPU tensors."""
    torch.save(OrderedDict((k, v.detach().cpu()) for k, v in net.state_dict().items()), path)
    return path


def test_architecture_and_key_names_are_the_releases():
    net = OfficialCoarseNet()
    assert [(k, tuple(v.shape)) for k, v in net.state_dict().items()] == list(RELEASE_KEYS.items())
    widths = [50, 64, 128, 64, 16, 1]
    expected = sum(cin * cout * 9 + cout for cin, cout in zip(widths[:-1], widths[1:]))
    assert sum(p.numel() for p in net.parameters()) == expected == 185_889  # ≈ 0.19 M
    assert [type(m).__name__ for m in net[0]] == ["Conv2d", "ReLU"] and isinstance(net[4], nn.Conv2d)


def test_norm_variants_keep_the_release_layout():
    """The release's ``norm`` option puts the norm between conv and ReLU of blocks 2–4 only."""
    keys = list(OfficialCoarseNet(norm="batch").state_dict())
    assert "0.1.weight" not in keys
    for i in (1, 2, 3):
        assert [k for k in keys if k.startswith(f"{i}.")] == [
            f"{i}.0.weight", f"{i}.0.bias", f"{i}.1.weight", f"{i}.1.bias", f"{i}.1.running_mean",
            f"{i}.1.running_var", f"{i}.1.num_batches_tracked"]
    assert list(OfficialCoarseNet(norm="instance").state_dict()) == list(RELEASE_KEYS)
    with pytest.raises(ValueError, match="norm must be one of"):
        OfficialCoarseNet(norm="layer")


def test_forward_equals_the_functional_network_and_takes_our_multi_step_input():
    torch.manual_seed(0)
    net = OfficialCoarseNet().eval()
    spikes = (torch.rand(2, 200, 12, 16) < 0.3).float()
    counts = spikes.reshape(2, 50, 4, 12, 16).sum(2)  # the release: 50 groups of 4 frames
    with torch.no_grad():
        out = net(counts)
        assert out.shape == (2, 1, 12, 16)
        torch.testing.assert_close(out, release_forward(net.state_dict(), counts))
        # our UHSR planes are spike rates [B, 50, 1, H, W]; input_scale 4 gives back the counts
        rates = spikes.reshape(2, 50, 4, 12, 16).mean(2)[:, :, None]
        scaled = OfficialCoarseNet(input_scale=4.0).eval()
        scaled.load_state_dict(net.state_dict())
        torch.testing.assert_close(scaled(rates.transpose(0, 1)), out)
        recon = SnnReconModel(network={"target": "spikevision.models.spikeclip.official_coarse_net.OfficialCoarseNet",
                                       "params": {"input_scale": 4.0}},
                              time_steps=50, input_transform="none").eval()
        recon.net.load_state_dict(net.state_dict())
        torch.testing.assert_close(recon(rates), out)
    with pytest.raises(ValueError, match=r"takes \[B, 50, H, W\].*got shape \(2, 49, 12, 16\)"):
        net(counts[:, :49])


def test_loader_round_trip_in_the_release_format(tmp_path):
    torch.manual_seed(1)
    saved = OfficialCoarseNet()
    path = release_file(tmp_path / "LRN_CALTECH.pth", saved)
    assert type(torch.load(path, weights_only=True)) is OrderedDict
    loaded = OfficialCoarseNet.from_release(path)
    for key, value in saved.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    x = torch.rand(1, 50, 8, 8) * 4
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), saved(x))
    # saved from a DataParallel network without unwrapping: the 'module.' prefix is removed
    torch.save(nn.DataParallel(saved).state_dict(), tmp_path / "dp.pth")
    assert list(read_official_state_dict(tmp_path / "dp.pth")) == list(RELEASE_KEYS)
    assert torch.equal(OfficialCoarseNet.from_release(tmp_path / "dp.pth")[4].bias, saved[4].bias)


def _malformed(tmp_path: Path, kind: str) -> tuple[Path, type[Exception], str]:
    state = OrderedDict(OfficialCoarseNet().state_dict())
    path = tmp_path / f"{kind}.pth"
    if kind == "missing":
        del state["4.bias"]
        torch.save(state, path)
        return path, CheckpointMismatchError, "missing '4.bias'"
    if kind == "unexpected":
        state["5.weight"] = torch.zeros(1)
        torch.save(state, path)
        return path, CheckpointMismatchError, "unexpected '5.weight'"
    if kind == "shape":
        release_file(path, OfficialCoarseNet(in_channels=32))
        return path, CheckpointMismatchError, "'0.0.weight' has shape (64, 32, 3, 3) there, (64, 50, 3, 3)"
    if kind == "lightning":  # our own stage-1 checkpoint keys (net.…) are not the release's format
        torch.save({"state_dict": {f"net.{k}": v for k, v in state.items()}}, path)
        return path, CheckpointMismatchError, "missing '0.0.weight'"
    if kind == "not_tensor":
        state["4.bias"] = [0.0]
        torch.save(state, path)
        return path, CheckpointError, "'4.bias' holds a list, not a tensor"
    torch.save([1, 2, 3], path)
    return path, CheckpointError, "holds no state dict"


@pytest.mark.parametrize("kind", ["missing", "unexpected", "shape", "lightning", "not_tensor", "list"])
def test_malformed_weights_are_refused_in_one_line(tmp_path, kind):
    path, error, words = _malformed(tmp_path, kind)
    with pytest.raises(error) as err:
        load_official_weights(OfficialCoarseNet(), path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and words in message, message


def test_a_pickled_object_is_refused_before_it_runs(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("ran",))

    torch.save({"0.0.weight": Payload()}, tmp_path / "evil.pth")
    with pytest.raises(CheckpointError, match="refused to load"):
        read_official_state_dict(tmp_path / "evil.pth")


@pytest.fixture(scope="module")
def uhsr_root(tmp_path_factory) -> Path:
    """A U-CIFAR-shaped root: 200-frame 250×250 spike files (labels 0–2), train and test."""
    root = tmp_path_factory.mktemp("ucifar")
    rng = np.random.default_rng(0)
    for split, ids in (("train", (0, 1)), ("test", (5000, 5001))):
        (root / split).mkdir()
        for i in ids:
            write_uhsr_npz(root / split / f"{i}.npz", (rng.random((200, 250, 250)) < 0.1).astype(np.uint8), i % 3)
    return root


def test_overlay_builds_stage1_with_the_official_network(uhsr_root, tmp_path):
    from spikevision.data.recording_inputs import to_input
    from spikevision.data.uhsr import read_cropped_spikes

    cfg = merged_config(STACK, [f"dataset_root={uhsr_root}", *TINY_CLIP])
    model = instantiate_from_config(cfg.model, key_path="model")
    assert isinstance(model.net, OfficialCoarseNet) and model.net.input_scale == 4.0
    assert model.export_path == "logs/spikeclip_artifacts/ucifar_official/stage1_recon.pt"
    data = instantiate_from_config(cfg.data, key_path="data")
    item = data.dataset("test")[0]
    assert item["input"].shape == (50, 1, 224, 224)
    # inference reads a file as the dataset does (the export's input_spec has the 50 planes)
    raw = read_cropped_spikes(uhsr_root / "test" / "5000.npz")
    torch.testing.assert_close(to_input(raw, {**model.input_spec, "crop": None}), item["input"])
    with torch.no_grad():
        out = model(item["input"][None])
        counts = torch.from_numpy(raw).float().reshape(1, 50, 4, 224, 224).sum(2)
        torch.testing.assert_close(out, release_forward(model.net.state_dict(), counts))


def test_official_command_refuses_a_stack_without_the_official_network(capsys):
    from spikevision.cli import spikeclip_official

    with pytest.raises(SystemExit) as exc:
        spikeclip_official.main(["w.pth", "--config", "train/stage_1/run_spikeclip_ucifar.sh", *TINY_CLIP])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the config builds SpikeClipReconModel with network SnnUNet") and "\n" not in err
    assert "spikeclip_official_net.yaml" in err


@pytest.mark.slow
def test_release_weights_evaluated_by_spikeclip_evaluate(uhsr_root, tmp_path):
    """Release-format weights → spikeclip-official → spikeclip-combine → spikeclip-evaluate."""
    from spikevision.cli import spikeclip_combine, spikeclip_evaluate, spikeclip_official
    from spikevision.models.spikeclip.artifacts import load_export
    from spikevision.models.spikeclip.pipeline import SpikeClipPipeline

    torch.manual_seed(2)
    weights = release_file(tmp_path / "LRN_CALTECH.pth", OfficialCoarseNet())
    art = tmp_path / "art"
    data = [f"dataset_root={uhsr_root}", f"artifacts={art}"]
    export = spikeclip_official.run([str(weights), "--config", *STACK, *data, *TINY_CLIP])
    assert export == art / "stage1_recon.pt"
    stored = load_export(export, "recon")
    assert list(stored["state_dict"]) == list(RELEASE_KEYS)
    assert stored["label_names"][:3] == ["frog", "horse", "dog"]
    assert stored["input_spec"]["representation"] == {"num_bins": 50}
    combined = spikeclip_combine.run(["--artifacts", str(art)])
    pipe = SpikeClipPipeline.from_file(combined)
    spikes = (torch.rand(1, 200, 32, 32) < 0.1).float()
    with torch.no_grad():  # the pipeline's stage 1 is the release's network on the release's counts
        expected = release_forward(torch.load(weights, weights_only=True),
                                   spikes.reshape(1, 50, 4, 32, 32).sum(2)).clamp(0, 1)
        torch.testing.assert_close(pipe.reconstruct(spikes.reshape(1, 50, 4, 32, 32).mean(2)[:, :, None])["stage1"],
                                   expected)
    result = spikeclip_evaluate.run([str(combined), "--config", *STACK, *data, "--limit", "2",
                                     "-o", str(tmp_path / "eval"), "--batch-size", "2"])
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["samples"] == 2 and "stage1" in metrics["methods"] and "tfi" in metrics["methods"]
    assert 0.0 <= metrics["methods"]["stage1"]["clip_acc"] <= 1.0
    assert Path(result["table_path"]).is_file()
