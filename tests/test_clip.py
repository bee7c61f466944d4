"""CLIP backbone: offline failure, local checkpoints, differentiable preprocessing, text encoding."""

from __future__ import annotations

import time

import pytest
import torch

from spikevision.clip import (
    ClipPreprocess,
    FrozenClip,
    WeightsUnavailableError,
    format_prompts,
    load_open_clip,
    save_open_clip_checkpoint,
)
from spikevision.clip.text import encode_text_embeddings


@pytest.fixture()
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("SPIKEVISION_OFFLINE", "1")
    return tmp_path


def test_offline_tag_fails_fast_and_names_the_file(offline):
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailableError) as err:
        load_open_clip("ViT-B-32", "openai", cache_dir=str(offline / "clip"))
    assert time.perf_counter() - start < 5.0
    msg = str(err.value)
    assert "ViT-B-32/openai" in msg and "offline" in msg
    assert "open_clip_pytorch_model.bin" in msg or "ViT-B-32.pt" in msg
    assert "pretrained" in msg


def test_missing_local_file_and_unknown_names(tmp_path):
    with pytest.raises(WeightsUnavailableError, match="not found"):
        load_open_clip("spikevision-tiny", str(tmp_path / "nope.pt"))
    with pytest.raises(WeightsUnavailableError, match="Did you mean"):
        load_open_clip("ViT-B-23")
    with pytest.raises(WeightsUnavailableError, match="tags"):
        load_open_clip("spikevision-tiny", "laion_bogus")


def test_local_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model, tok, _ = load_open_clip("spikevision-tiny")
    path = save_open_clip_checkpoint(model, tmp_path / "clip.pt")
    again, _, _ = load_open_clip("spikevision-tiny", str(path))
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(model.encode_image(x), again.encode_image(x))
    t = tok(["image of a one"])
    assert torch.equal(model.encode_text(t), again.encode_text(t))


def test_preprocess_by_hand_and_gradients():
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.5)
    pre = ClipPreprocess(8, mean, std)
    img = torch.full((2, 1, 16, 16), 0.5, requires_grad=True)
    out = pre(img)
    assert out.shape == (2, 3, 8, 8)
    for c in range(3):  # resizing a constant image keeps it constant
        assert torch.allclose(out[:, c], torch.tensor((0.5 - mean[c]) / std[c]), atol=1e-6)
    out.sum().backward()
    # each output pixel is a convex combination of inputs, so the gradient of Σ_c (x − m_c)/s_c
    # summed over the 16×16 inputs of an image is (Σ_c 1/s_c) · 8·8
    expected = sum(1 / s for s in std) * 64
    assert torch.allclose(img.grad.sum(dim=(1, 2, 3)), torch.full((2,), expected), rtol=1e-5)
    assert (img.grad > 0).all()
    with pytest.raises(ValueError, match="expects"):
        pre(torch.rand(2, 2, 8, 8))


def test_out_of_range_inputs_still_get_gradients():
    pre = ClipPreprocess(4, (0.5,) * 3, (0.5,) * 3)
    img = torch.full((1, 1, 4, 4), 1.5, requires_grad=True)
    out = pre(img)
    assert torch.allclose(out, torch.ones_like(out))  # clamped to 1 → (1 − 0.5) / 0.5
    out.sum().backward()
    assert (img.grad != 0).all()


def test_frozen_clip_is_hidden_cached_and_differentiable():
    torch.manual_seed(0)
    clip = FrozenClip("spikevision-tiny", None, templates=["image of a {label}", "a {label}"])
    assert list(clip.parameters()) == [] and clip.state_dict() == {}
    labels = ["zero", "one", "two"]
    t1 = clip.class_text_features(labels)
    assert t1 is clip.class_text_features(labels)  # cached
    assert torch.allclose(t1.norm(dim=-1), torch.ones(3), atol=1e-5)
    manual = torch.stack([clip.encode_texts(format_prompts(labels, t)) for t in clip.templates]).mean(0)
    assert torch.allclose(t1, torch.nn.functional.normalize(manual, dim=-1), atol=1e-6)
    img = torch.rand(2, 1, 34, 34, requires_grad=True)
    clip.zero_shot_logits(img, labels).sum().backward()
    assert img.grad is not None and img.grad.abs().sum() > 0
    assert all(p.grad is None for p in clip.clip.parameters())
    clip.train()
    assert not clip.clip.training
    clip.double()
    assert clip.clip.logit_scale.dtype == torch.float64


def test_bad_template_is_rejected():
    with pytest.raises(ValueError, match="label"):
        FrozenClip("spikevision-tiny", None, templates=["a photo"])


def test_text_from_embeddings_matches_open_clip():
    torch.manual_seed(0)
    model, tok, _ = load_open_clip("spikevision-tiny")
    tokens = tok(["image of a seven", "a low quality image"])
    ours = encode_text_embeddings(model, model.token_embedding(tokens), tokens)
    ref = torch.nn.functional.normalize(model.encode_text(tokens), dim=-1)
    assert torch.allclose(ours, ref, atol=1e-6)
