"""Our scikit-image-style SSIM against ``skimage.metrics.structural_similarity`` itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from spikevision.metrics.ssim import (
    UniformSSIM,
    ssim_label,
    ssim_metric,
    ssim_per_image,
    ssim_uniform,
)


def _structured(b, c, h, w, seed):
    """Smooth gradients, edges and a checkerboard plus noise: flat and textured regions."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    base = torch.stack([0.5 + 0.4 * torch.sin(6 * xx + 3 * yy), (xx > 0.5).double() * 0.8,
                        ((torch.arange(h)[:, None] // 4 + torch.arange(w)[None] // 4) % 2).double()])
    imgs = base[torch.arange(c) % 3].expand(b, c, h, w).double()
    return (imgs + 0.05 * torch.randn(b, c, h, w, generator=g, dtype=torch.float64)).clamp(0, 1)


def _skimage(x, y, data_range=1.0):
    x, y = x.double().numpy(), y.double().numpy()
    if x.shape[0] == 1:
        return structural_similarity(x[0], y[0], data_range=data_range)
    return structural_similarity(x, y, data_range=data_range, channel_axis=0)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("kind", ["random", "structured"])
def test_uniform_ssim_equals_skimage(channels, kind):
    g = torch.Generator().manual_seed(channels)
    if kind == "random":
        x = torch.rand(4, channels, 23, 31, generator=g)
        y = (x + 0.2 * torch.randn(4, channels, 23, 31, generator=g)).clamp(0, 1)
    else:
        x = _structured(4, channels, 34, 34, 0)
        y = (0.8 * _structured(4, channels, 34, 34, 1) + 0.1).roll(1, -1)
    ours = ssim_uniform(x, y)
    assert ours.shape == (4,)
    expected = torch.tensor([_skimage(a, b) for a, b in zip(x, y)], dtype=ours.dtype)
    assert torch.allclose(ours, expected, rtol=1e-5, atol=1e-6)
    assert torch.allclose(ssim_uniform(x, x), torch.ones(4, dtype=ours.dtype))


def test_uniform_ssim_data_range_and_uint8_scale():
    x = (_structured(2, 3, 20, 20, 2) * 255).round()
    y = (x * 0.7 + 20).clamp(0, 255).round()
    ours = ssim_uniform(x, y, data_range=255.0)
    expected = torch.tensor([_skimage(a, b, 255.0) for a, b in zip(x, y)], dtype=ours.dtype)
    assert torch.allclose(ours, expected, rtol=1e-5)


def test_the_two_kinds_differ_and_are_named():
    x = _structured(3, 1, 40, 40, 3).float()
    y = (x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(4))).clamp(0, 1)
    gauss, uni = ssim_per_image(x, y, "gaussian"), ssim_per_image(x, y, "uniform")
    assert gauss.shape == uni.shape == (3,) and not torch.allclose(gauss, uni, atol=1e-3)
    assert "7×7 uniform" in ssim_label("uniform") and "Gaussian" in ssim_label("gaussian")
    with pytest.raises(ValueError, match="ssim must be one of"):
        ssim_per_image(x, y, "box")
    with pytest.raises(ValueError, match="win_size"):
        ssim_uniform(x[..., :5, :5], y[..., :5, :5])


def test_uniform_metric_averages_images_over_updates():
    x = torch.rand(6, 3, 16, 16, generator=torch.Generator().manual_seed(5))
    y = (x + 0.1).clamp(0, 1)
    metric = ssim_metric("uniform")
    assert isinstance(metric, UniformSSIM)
    metric.update(x[:2], y[:2])
    metric.update(x[2:], y[2:])
    assert metric.compute().item() == pytest.approx(ssim_uniform(x, y).mean().item(), rel=1e-6)
    assert np.isclose(ssim_metric("gaussian")(x, y).item(), ssim_per_image(x, y).mean().item(), rtol=1e-5)


class _Pipe:
    """The parts of a SpikeCLIP pipeline that the evaluation calls: one reconstruction method."""

    def reconstruct(self, x):
        return {"stage1": x.mean(1).clamp(0, 1)}

    def classify(self, img):
        return torch.zeros(img.shape[0], 2)

    def quality(self, img):
        return None


def test_spikeclip_evaluation_reports_skimage_ssim_by_default(tmp_path):
    from spikevision.models.spikeclip.evaluation import evaluate_pipeline, markdown_table

    g = torch.Generator().manual_seed(6)
    items = [{"input": torch.rand(3, 1, 24, 24, generator=g), "label": 0, "index": i,
              "image": torch.rand(1, 24, 24, generator=g)} for i in range(3)]
    kwargs = dict(batch_size=2, lpips_weights=str(tmp_path / "none.pth"), progress=False)
    uni = evaluate_pipeline(_Pipe(), items, **kwargs)
    gauss = evaluate_pipeline(_Pipe(), items, ssim="gaussian", **kwargs)
    x = torch.stack([it["input"].mean(0) for it in items])
    y = torch.stack([it["image"] for it in items])
    assert uni.ssim == "uniform" and gauss.ssim == "gaussian"
    assert uni.methods["stage1"]["ssim"] == pytest.approx(ssim_uniform(x, y).mean().item(), rel=1e-5)
    assert gauss.methods["stage1"]["ssim"] == pytest.approx(ssim_per_image(x, y).mean().item(), rel=1e-5)
    assert "SSIM (7×7 uniform, skimage) ↑" in markdown_table(uni.methods, "t", uni.samples, uni.notes)
    assert "11×11 Gaussian" in markdown_table(gauss.methods, "t", 3, [], gauss.ssim)
    with pytest.raises(ValueError, match="ssim must be one of"):
        evaluate_pipeline(_Pipe(), items, ssim="box", **kwargs)


def test_training_loop_metrics_offer_both_kinds():
    from torchmetrics.image import StructuralSimilarityIndexMeasure

    from spikevision.models.image_module import ImageOutputModule, image_metrics

    assert isinstance(image_metrics()["val_ssim"], StructuralSimilarityIndexMeasure)
    assert isinstance(image_metrics("uniform")["test_ssim"], UniformSSIM)
    assert isinstance(ImageOutputModule(ssim="uniform").metrics["val_ssim"], UniformSSIM)
    with pytest.raises(ValueError, match="ssim must be one of"):
        image_metrics("box")
