"""SpikeCLIP modules: prompt learner, degradations, refiner, exports, combined checkpoint,
inference on the real N-MNIST recording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from spikevision.clip import FrozenClip, load_open_clip, save_open_clip_checkpoint
from spikevision.models.spikeclip import (
    PromptLearner,
    PromptLearnerModel,
    RefinerModel,
    RefinerUNet,
    SpikeClipQualityModel,
    SpikeClipReconModel,
)
from spikevision.models.spikeclip.artifacts import ExportFormatError, load_export
from spikevision.models.spikeclip.degrade import Degrade, gaussian_blur
from spikevision.models.spikeclip.pipeline import SpikeClipPipeline, combine_exports

DATA = Path(__file__).parent / "data"
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
NET = {"target": "spikevision.models.recon.SnnUNet",
       "params": {"in_channels": 2, "out_channels": 1, "ch": 4, "ch_mult": [1, 2], "num_res_blocks": 1}}
SPEC = {"modality": "events", "representation": {"kind": "frames", "num_bins": 2},
        "sensor_size": [34, 34], "size": None}


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> dict[str, Path]:
    """Tiny stage exports (random weights) written by the real export code."""
    root = tmp_path_factory.mktemp("spikeclip")
    torch.manual_seed(0)
    model, _, _ = load_open_clip("spikevision-tiny")
    clip = {"model_name": "spikevision-tiny", "pretrained": str(save_open_clip_checkpoint(model, root / "clip.pt"))}
    s1 = SpikeClipReconModel(clip=clip, label_names=DIGITS, input_spec=SPEC, network=NET, time_steps=2)
    paths = {"clip": root / "clip.pt", "stage1": s1.export(root / "stage1_recon.pt")}
    paths["prompts"] = PromptLearnerModel(coarse=str(paths["stage1"])).export(root / "stage2_prompts.pt")
    s3 = SpikeClipQualityModel(init_from=str(paths["stage1"]), prompts=str(paths["prompts"]))
    with torch.no_grad():  # make stage 3 differ from stage 1
        for p in s3.net.parameters():
            p.add_(0.01)
    paths["stage3"] = s3.export(root / "stage3_recon.pt")
    paths["refiner"] = RefinerModel(coarse=str(paths["stage1"]), prompts=str(paths["prompts"]),
                                    network={"ch": 8, "ch_mult": [1, 2]}).export(root / "stage3_refiner.pt")
    paths["combined"] = combine_exports(root / "combined.pt", paths["stage1"], paths["prompts"],
                                        paths["stage3"], paths["refiner"])
    return paths


def test_prompt_learner_gradients_reach_only_the_context():
    torch.manual_seed(0)
    clip = FrozenClip("spikevision-tiny", None)
    learner = PromptLearner(clip, n_ctx=4)
    assert [n for n, p in learner.named_parameters()] == ["ctx"] and learner.ctx.shape == (4, 32)
    feats = learner()
    assert feats.shape == (2, 32) and torch.allclose(feats.norm(dim=-1), torch.ones(2), atol=1e-5)
    img_feats = clip.encode_images(torch.rand(3, 1, 34, 34))
    torch.nn.functional.cross_entropy(img_feats @ feats.t() / 0.07, torch.tensor([0, 1, 0])).backward()
    assert learner.ctx.grad is not None and learner.ctx.grad.abs().sum() > 0
    assert all(p.grad is None for p in clip.clip.parameters())
    # the context occupies positions 1..n_ctx; class-name tokens follow unchanged
    emb = learner.prompt_embeddings()
    assert torch.equal(emb[0, 1:5], learner.ctx.detach()) and torch.equal(emb[1, 1:5], learner.ctx.detach())


def test_prompt_learner_word_initialisation():
    clip = FrozenClip("spikevision-tiny", None)
    learner = PromptLearner(clip, ctx_init="a photo of a")
    tokens = clip.tokenizer(["a photo of a"])[0]
    assert learner.n_ctx == 4
    assert torch.allclose(learner.ctx, clip.clip.token_embedding(tokens)[1:5])


def test_blur_and_noise():
    img = torch.rand(3, 1, 9, 9)
    assert torch.allclose(gaussian_blur(img, torch.zeros(3)), img, atol=1e-6)
    const = torch.full((2, 1, 9, 9), 0.3)
    assert torch.allclose(gaussian_blur(const, torch.tensor([1.0, 2.0])), const, atol=1e-6)
    blurred = gaussian_blur(img, torch.full((3,), 1.5))
    assert blurred.var() < img.var()
    same = Degrade((0.0, 0.0), (0.0, 0.0))(img)
    assert torch.allclose(same, img, atol=1e-6)
    d = Degrade((0.1, 0.1), (0.0, 0.0), p=1.0)
    a = d(img, torch.Generator().manual_seed(1))
    b = d(img, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, img) and a.min() >= 0 and a.max() <= 1


def test_degrade_black_level_and_mask_hand_computed():
    """Black level b: x → b + (1 − b)·x for the degraded images only; the mask names them."""
    img = torch.rand(6, 1, 5, 5)
    d = Degrade((0.0, 0.0), (0.0, 0.0), p=0.5, black_level=(0.2, 0.6))
    gen = torch.Generator().manual_seed(1)
    out, mask = d.with_mask(img, torch.Generator().manual_seed(1))
    u = torch.rand(3, 6, generator=gen)
    torch.randn(img.shape, generator=gen)  # the noise draw comes before the level draw
    level = 0.2 + 0.4 * torch.rand(6, generator=gen)
    assert torch.equal(mask, u[0] < 0.5) and 0 < int(mask.sum()) < 6
    expected = torch.where(mask.view(6, 1, 1, 1), level.view(6, 1, 1, 1) + (1 - level.view(6, 1, 1, 1)) * img, img)
    assert torch.allclose(out, expected, atol=1e-6)
    # without a black level the random stream (and so every earlier setting's output) is unchanged
    plain = Degrade((0.1, 0.1), (0.5, 1.0), p=0.7)
    old = plain(img, torch.Generator().manual_seed(1))
    assert torch.equal(old, plain.with_mask(img, torch.Generator().manual_seed(1))[0])


def test_stage0_quality_captions_pair_degraded_images_with_low_quality_texts(monkeypatch):
    """quality_templates: 2·K captions, the degraded images' targets are K + class; bad settings
    are refused by key."""
    from spikevision.errors import ConfigError
    from spikevision.models.spikeclip import stage0_clip_pretrain as s0

    quality = {"high": ["a high quality image of a {label}"], "low": ["a low quality image of a {label}"]}
    model = s0.ClipPretrainModel("spikevision-tiny", label_names=["zero", "one", "two"],
                                 augment={"noise_std": [0, 0], "blur_sigma": [1, 1], "p": 0.5},
                                 quality_templates=quality)
    seen = {}

    def fake_loss(images, texts, labels, scale):
        seen.update(labels=labels, texts=texts.shape[0])
        return images.sum() * 0

    monkeypatch.setattr(s0, "class_contrastive", fake_loss)
    monkeypatch.setattr(model, "encode_texts", lambda captions: (seen.setdefault("captions", list(captions)),
                                                                 torch.zeros(len(captions), 4))[1])
    monkeypatch.setattr(model, "log", lambda *a, **k: None)
    batch = {"image": torch.rand(8, 1, 34, 34), "label": torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])}
    torch.manual_seed(0)
    mask = torch.rand(3, 8)[0] < 0.5
    torch.manual_seed(0)
    model.training_step(batch, 0)
    assert seen["captions"] == ["a high quality image of a zero", "a high quality image of a one",
                                "a high quality image of a two", "a low quality image of a zero",
                                "a low quality image of a one", "a low quality image of a two"]
    assert seen["labels"].tolist() == (batch["label"] + 3 * mask.long()).tolist()
    for bad, key in [({"high": ["x {label}"]}, "keys"), ({"high": "a {label}", "low": ["b {label}"]}, "high"),
                     ({"high": ["a {label}"], "low": []}, "low")]:
        with pytest.raises(ConfigError, match=key):
            s0.ClipPretrainModel("spikevision-tiny", label_names=["zero"], augment={"p": 0.5}, quality_templates=bad)
    with pytest.raises(ConfigError, match="augment"):
        s0.ClipPretrainModel("spikevision-tiny", label_names=["zero"], quality_templates=quality)


def test_refiner_starts_as_identity_and_handles_odd_sizes():
    net = RefinerUNet(ch=8, ch_mult=[1, 2, 2])
    x = torch.rand(2, 1, 34, 30).clamp(0.01, 0.99)
    assert torch.allclose(net(x), x, atol=1e-5)
    net(x).sum().backward()
    assert net.out.weight.grad.abs().sum() > 0


def test_exports_check_kind_and_format(artifacts, tmp_path):
    with pytest.raises(ExportFormatError, match="expected prompts"):
        load_export(artifacts["stage1"], "prompts")
    torch.save({"state_dict": {}}, tmp_path / "x.ckpt")
    with pytest.raises(ExportFormatError, match="not a SpikeCLIP export"):
        load_export(tmp_path / "x.ckpt")
    with pytest.raises(FileNotFoundError, match="Run the stage"):
        load_export(tmp_path / "missing.pt")


def test_stage3_starts_from_stage1_and_refuses_another_clip(artifacts):
    s1 = load_export(artifacts["stage1"], "recon")
    s3 = SpikeClipQualityModel(init_from=str(artifacts["stage1"]), prompts=str(artifacts["prompts"]))
    for k, v in s1["state_dict"].items():
        assert torch.equal(s3.net.state_dict()[k], v)
    assert s3.label_names == DIGITS and s3.guidance.hq_lq.shape == (2, 32)
    with pytest.raises(ValueError, match="made with CLIP"):
        SpikeClipQualityModel(init_from=str(artifacts["stage1"]), prompts=str(artifacts["prompts"]),
                              clip={"model_name": "spikevision-digits", "pretrained": None})


def test_combined_round_trip(artifacts):
    pipe = SpikeClipPipeline.from_file(artifacts["combined"])
    assert pipe.stage_names == ["stage1", "stage3", "refined"]
    assert pipe.label_names == DIGITS and pipe.input_spec == SPEC
    x = torch.rand(3, 2, 2, 34, 34)
    s1 = SpikeClipReconModel(clip={"model_name": "spikevision-tiny", "pretrained": str(artifacts["clip"])},
                             label_names=DIGITS, network=NET, time_steps=2)
    s1.net.load_state_dict(load_export(artifacts["stage1"])["state_dict"])
    out = pipe(x)
    assert torch.allclose(out["stage1"], s1.eval()(x).clamp(0, 1), atol=1e-6)
    assert not torch.allclose(out["stage1"], out["stage3"])
    assert torch.allclose(out["refined"], out["stage1"], atol=1e-4)  # untrained refiner = identity
    assert out["probs"].shape == (3, 10) and torch.allclose(out["probs"].sum(-1), torch.ones(3))
    # embedded CLIP equals the file it came from
    ref = FrozenClip("spikevision-tiny", str(artifacts["clip"]))
    img = torch.rand(2, 1, 34, 34)
    assert torch.allclose(pipe.clip.encode_images(img), ref.encode_images(img), atol=1e-6)
    q = pipe.quality(img)
    assert q.shape == (2,) and ((q > 0) & (q < 1)).all()


def test_combine_refuses_mismatched_stages(artifacts, tmp_path):
    with pytest.raises(Exception, match="recon"):
        combine_exports(tmp_path / "c.pt", artifacts["prompts"])


def test_inference_on_real_nmnist_file(artifacts, tmp_path):
    from spikevision.cli.spikeclip_infer import run

    sample = DATA / "nmnist_sample.bin"
    result = run([str(artifacts["combined"]), str(sample), "-o", str(tmp_path), "--repeats", "2",
                  "--batch-size", "2"])
    for stage in ("stage1", "stage3", "refined", "compare"):
        assert (tmp_path / f"nmnist_sample_{stage}.png").is_file()
    preds = json.loads((tmp_path / "predictions.json").read_text())
    assert preds[0]["stage3"]["class"] in DIGITS and 0 < preds[0]["stage3"]["confidence"] <= 1
    perf = json.loads((tmp_path / "perf.json").read_text())
    assert perf["latency_ms"] > 0 and perf["throughput_per_s"] > 0 and perf["peak_rss_mb"] > 0
    assert result["final_stage"] == "refined"


def test_inference_rejects_wrong_modality(artifacts, tmp_path):
    import numpy as np

    from spikevision.data.recording_inputs import load_input
    from spikevision.errors import EventFormatError
    from spikevision.io import write_spike_dat, write_uhsr_npz

    write_spike_dat(tmp_path / "s.dat", np.zeros((4, 8, 16), np.uint8))
    with pytest.raises(EventFormatError, match="spike frames"):
        load_input(tmp_path / "s.dat", SPEC)
    spikes = (np.random.default_rng(0).random((8, 40, 40)) < 0.3).astype(np.uint8)
    write_uhsr_npz(tmp_path / "u.npz", spikes, 3)
    spec = {"modality": "spikes", "representation": {"num_bins": 4}, "crop": [32, 32], "size": [16, 16]}
    x = load_input(tmp_path / "u.npz", spec)
    assert x.shape == (4, 1, 16, 16)
    crop = spikes[:, 4:36, 4:36].reshape(4, 2, 32, 32).mean(1)
    expected = torch.nn.functional.interpolate(torch.from_numpy(crop)[:, None].float(), size=(16, 16), mode="area")
    assert torch.allclose(x, expected, atol=1e-6)
    x = load_input(tmp_path / "s.dat", {**spec, "sensor_size": [8, 16], "crop": None, "size": None})
    assert x.shape == (4, 1, 8, 16) and x.sum() == 0


def test_spike_baselines_for_evaluation(ndigits):
    from spikevision.data.ndigits import NDigits
    from spikevision.models.spikeclip.evaluation import markdown_table, raw_spikes, spike_baselines
    from spikevision.spikes import tfp

    ds = NDigits("test", modality="spikes", representation={"num_bins": 4}, limit=2)
    batch = {"index": torch.tensor([0, 1])}
    out = spike_baselines(ds, batch, (34, 34))
    assert set(out) == {"tfp", "tfi"} and out["tfp"].shape == (2, 1, 34, 34)
    assert torch.allclose(out["tfi"].amax(dim=(1, 2, 3)), torch.ones(2))
    spikes = raw_spikes(ds, 1)
    expected = torch.from_numpy(tfp(spikes, spikes.shape[0] // 2, spikes.shape[0]))
    assert torch.allclose(out["tfp"][1, 0], expected / expected.max(), atol=1e-6)
    events = NDigits("test", modality="events", limit=2)
    assert spike_baselines(events, batch, (34, 34)) == {}
    table = markdown_table({"stage1": {"psnr": 12.345, "clip_acc": 0.5}}, "t", 2, ["note"])
    assert "| stage1 | 12.35 | 0.5000 |" in table and "- note" in table


def test_coarse_outputs_are_computed_once_per_item():
    from spikevision.models.spikeclip.coarse_cache import CoarseOutputs

    calls = []

    class Net(torch.nn.Module):
        def forward(self, x):
            calls.append(x.shape[0])
            return x * 2

    memo = CoarseOutputs(Net())
    x = torch.arange(4.0).view(4, 1)
    assert torch.equal(memo(x, torch.tensor([0, 1, 2, 3]), "train"), x * 2)
    assert torch.equal(memo(x[[1, 3]], torch.tensor([1, 5]), "train"), torch.tensor([[2.0], [6.0]]))
    assert calls == [4, 1]  # only index 5 was new
    memo(x[:1], torch.tensor([0]), "val")
    memo(x[:1], None)
    assert calls == [4, 1, 1, 1]


def test_stage3_identity_reference_is_cached_per_split(artifacts):
    """A test item must not be served the validation item's stage-1 output (same index)."""
    s3 = SpikeClipQualityModel(init_from=str(artifacts["stage1"]), prompts=str(artifacts["prompts"]),
                               identity_weight=1.0).eval()
    torch.manual_seed(1)
    index, labels = torch.tensor([0, 1]), torch.tensor([3, 4])
    val = {"input": torch.rand(2, 2, 2, 34, 34), "index": index, "label": labels}
    test = {"input": torch.rand(2, 2, 2, 34, 34), "index": index, "label": labels}
    with torch.no_grad():
        s3.objective(val, "val")
        _, recon, parts = s3.objective(test, "test")
        expected = (recon - s3.reference(test["input"])).abs().mean()
    assert torch.allclose(parts["identity_loss"], expected, atol=1e-6)


def test_refiner_old_key_builds_the_same_model(artifacts, monkeypatch):
    """Saved refiner runs name the U-Net settings ``refiner`` (now ``network``; ``coarse`` is the
    frozen stage-1 export and keeps its name)."""
    from spikevision import registry

    monkeypatch.setattr(registry, "_WARNED_RENAMES", set())
    refs = {"coarse": str(artifacts["stage1"]), "prompts": str(artifacts["prompts"])}
    torch.manual_seed(0)
    new = RefinerModel(**refs, network={"ch": 8, "ch_mult": [1, 2]})
    torch.manual_seed(0)
    with pytest.warns(DeprecationWarning, match="'refiner' is now called 'network'"):
        old = RefinerModel(**refs, refiner={"ch": 8, "ch_mult": [1, 2]})
    assert dict(old.hparams) == dict(new.hparams) and "refiner" not in old.hparams
    assert old.refiner_params == new.refiner_params == {"ch": 8, "ch_mult": [1, 2]}
    for a, b in zip(old.refiner.state_dict().values(), new.refiner.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_frozen_previous_stage_stays_frozen_in_train_mode(artifacts):
    for model in (PromptLearnerModel(coarse=str(artifacts["stage1"])),
                  RefinerModel(coarse=str(artifacts["stage1"]), prompts=str(artifacts["prompts"]),
                               network={"ch": 8, "ch_mult": [1, 2]}),
                  SpikeClipQualityModel(init_from=str(artifacts["stage1"]), prompts=str(artifacts["prompts"]),
                                        identity_weight=1.0)):
        frozen = model.reference if isinstance(model, SpikeClipQualityModel) else model.coarse
        model.train()
        assert not frozen.training and not any(p.requires_grad for p in frozen.parameters())
    assert [n for n, p in PromptLearnerModel(coarse=str(artifacts["stage1"])).named_parameters()
            if p.requires_grad] == ["prompts.ctx"]


def test_export_hands_on_the_best_checkpoint(artifacts, tmp_path, caplog):
    import logging
    import types

    s1 = SpikeClipReconModel(clip={"model_name": "spikevision-tiny", "pretrained": str(artifacts["clip"])},
                             label_names=DIGITS, input_spec=SPEC, network=NET, time_steps=2,
                             export_path=str(tmp_path / "s1.pt"))
    final = {k: v.clone() for k, v in s1.net.state_dict().items()}
    best_state = {k: v + 1 if v.is_floating_point() else v for k, v in s1.state_dict().items()}
    torch.save({"state_dict": best_state}, tmp_path / "best.ckpt")
    cb = types.SimpleNamespace(monitor="val/clip_acc", best_model_path=str(tmp_path / "best.ckpt"))
    s1._trainer = types.SimpleNamespace(is_global_zero=True, checkpoint_callback=cb)
    s1.on_fit_end()
    exported = load_export(tmp_path / "s1.pt", "recon")["state_dict"]
    for k, v in exported.items():
        assert torch.equal(v, best_state[f"net.{k}"])  # the best weights, not the last ones
        assert torch.equal(s1.net.state_dict()[k], final[k])  # and the module keeps its own
    s1._trainer = types.SimpleNamespace(is_global_zero=True, checkpoint_callback=None)
    with caplog.at_level(logging.INFO):
        s1.on_fit_end()
    assert "final weights" in caplog.text
    for k, v in load_export(tmp_path / "s1.pt", "recon")["state_dict"].items():
        assert torch.equal(v, final[k])
