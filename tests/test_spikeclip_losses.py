"""SpikeCLIP losses against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from spikevision.losses.infonce import (
    class_contrastive,
    class_infonce,
    hq_prompt_loss,
    quality_guided_loss,
)


def test_class_infonce_by_hand():
    img = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    txt = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    labels = torch.tensor([0, 1])
    tau = 0.5
    # sample 0: logits (1, 0.6)/τ = (2, 1.2), target 0; sample 1: (0, 0.8)/τ = (0, 1.6), target 1
    l0 = -(2 - math.log(math.exp(2) + math.exp(1.2)))
    l1 = -(1.6 - math.log(math.exp(0) + math.exp(1.6)))
    assert class_infonce(img, txt, labels, tau).item() == pytest.approx((l0 + l1) / 2, rel=1e-6)
    with pytest.raises(ValueError):
        class_infonce(img, txt, labels, 0.0)


def test_infonce_default_tau_and_gradient_direction():
    img = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1).requires_grad_()
    txt = torch.nn.functional.normalize(torch.randn(3, 8), dim=-1)
    labels = torch.tensor([0, 1, 2, 0])
    loss = class_infonce(img, txt, labels)
    logits = img @ txt.t() / 0.07
    assert loss.item() == pytest.approx(torch.nn.functional.cross_entropy(logits, labels).item())
    loss.backward()
    # a small step against the gradient lowers the loss
    with torch.no_grad():
        assert class_infonce(img - 1e-3 * img.grad, txt, labels).item() < loss.item()


def test_class_contrastive_by_hand():
    img = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    txt = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0, 1])
    scale = torch.tensor(2.0)
    logits = scale * img @ txt.t()  # [[2,0],[2,0],[0,2]]
    i2t = torch.nn.functional.cross_entropy(logits, labels)
    # text 0 → images: targets (½, ½, 0); text 1 → images: (0, 0, 1)
    lt = torch.log_softmax(logits.t(), dim=-1)
    t2i = (-(0.5 * lt[0, 0] + 0.5 * lt[0, 1]) - lt[1, 2]) / 2
    assert class_contrastive(img, txt, labels, scale).item() == pytest.approx(0.5 * (i2t + t2i).item(), rel=1e-6)


def test_hq_prompt_loss_by_hand():
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    hq_lq = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # HQ, LQ
    # P(HQ) = e^1/(e^1+e^0) for sample 0, e^0/(e^0+e^1) for sample 1 (temperature 1)
    p0, p1 = math.e / (math.e + 1), 1 / (1 + math.e)
    expected = -(math.log(p0) + math.log(p1)) / 2
    assert hq_prompt_loss(feats, hq_lq).item() == pytest.approx(expected, rel=1e-6)
    # an HQ-like image: a lower temperature sharpens P(HQ) toward 1
    assert hq_prompt_loss(feats[:1], hq_lq, 0.5).item() < hq_prompt_loss(feats[:1], hq_lq, 1.0).item()
    with pytest.raises(ValueError, match="2 prompt"):
        hq_prompt_loss(feats, torch.eye(3)[:, :2])


def test_quality_guided_combination():
    c, p, r = torch.tensor(0.7), torch.tensor(0.02), torch.tensor(0.5)
    assert quality_guided_loss(c, p).item() == pytest.approx(0.7 + 100 * 0.02)
    assert quality_guided_loss(c, p, 10.0, r, 2.0).item() == pytest.approx(0.7 + 0.2 + 1.0)
    assert quality_guided_loss(c, p, 10.0, r, 0.0).item() == pytest.approx(0.9)
