"""Mixed precision for every family: a few ``bf16-mixed`` training steps each on CPU (loss finite,
weights change like fp32's), the fp16 gradient-scaler path (``16-mixed``) of the VQ-GAN's manual
optimisation on CPU, its adaptive weight under fp16/bf16 autocast, and fp32 codebook distances.

Lightning turns ``precision: 16-mixed`` on a CPU into ``bf16-mixed`` (it has no fp16 CPU autocast),
so the fp16 tests build the same plugin ``16-mixed`` uses on CUDA (``MixedPrecision`` with a
``GradScaler``) for the CPU; ``benchmarks/gpu_check.py`` runs ``16-mixed`` on CUDA."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.plugins import MixedPrecision
from torch.utils.data import DataLoader

from gpu_check_module import load_gpu_check
from spikevision.losses.vqperceptual import adaptive_weight
from spikevision.models.vqvae.quantizer import nearest_code

gc = load_gpu_check()


def _changed(family, precision: str, tmp_path) -> tuple[dict, set[str]]:
    before = gc.trainable_snapshot(family.model)
    result = gc.fit_steps(family, steps=2, precision=precision, accelerator="cpu", batch_size=2)
    changed = {k for k, p in family.model.named_parameters() if k in before and not torch.equal(before[k], p.detach())}
    return result, changed


@pytest.mark.parametrize("name", gc.FAMILIES)
def test_every_family_trains_in_bf16_mixed_like_fp32(name, tmp_path):
    fp32, changed32 = _changed(gc.build_family(name, tmp_path), "32-true", tmp_path)
    bf16, changed16 = _changed(gc.build_family(name, tmp_path), "bf16-mixed", tmp_path)
    assert bf16["finite"] and bf16["loss"] is not None, bf16
    assert changed16 and changed16 == changed32  # the same weights learn as at fp32
    assert bf16["loss"] == pytest.approx(fp32["loss"], rel=0.1, abs=0.05)  # same data, same seed


def test_lightning_runs_16_mixed_on_cpu_as_bf16():
    """Why the fp16 tests below build the plugin themselves."""
    trainer = pl.Trainer(accelerator="cpu", precision="16-mixed", logger=False, enable_checkpointing=False)
    assert trainer.precision == "bf16-mixed"


def _fit_fp16(family) -> tuple[pl.Trainer, MixedPrecision]:
    plugin = MixedPrecision("16-mixed", "cpu", scaler=torch.amp.GradScaler("cpu"))
    trainer = pl.Trainer(accelerator="cpu", plugins=[plugin], max_epochs=1, limit_train_batches=2,
                         limit_val_batches=0, num_sanity_val_steps=0, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(family.model, DataLoader(family.items, batch_size=2))
    return trainer, plugin


@pytest.mark.parametrize("disc_start", [0, 10_000])
def test_vqgan_trains_with_the_fp16_grad_scaler(disc_start, tmp_path):
    """Manual optimisation under GradScaler: ``manual_backward`` scales, the optimizer steps unscale.
    Before ``disc_start`` the discriminator has no gradients, which a GradScaler refused to step
    ("No inf checks were recorded") until its gradients were zeroed instead."""
    family = gc.build_family("vqgan", tmp_path)
    family.model.loss.disc_start = disc_start
    disc_before = gc.trainable_snapshot(family.model.loss.discriminator)
    trainer, plugin = _fit_fp16(family)
    metrics = trainer.callback_metrics
    assert trainer.global_step == 4  # two optimizer steps per batch
    assert torch.isfinite(metrics["train/loss"])
    assert plugin.scaler.get_scale() > 0
    disc_after = dict(family.model.loss.discriminator.named_parameters())
    disc_moved = any(not torch.equal(v, disc_after[k].detach()) for k, v in disc_before.items())
    if disc_start:
        assert not disc_moved and float(metrics["train/d_weight"]) == 0.0  # zero gradients: Adam leaves it
    else:
        assert disc_moved and 0 < float(metrics["train/d_weight"]) < 1e4 * 0.8
        assert torch.isfinite(metrics["train/d_loss"])


def test_recon_trains_with_the_fp16_grad_scaler(tmp_path):
    family = gc.build_family("recon", tmp_path)
    before = gc.trainable_snapshot(family.model)
    trainer, _ = _fit_fp16(family)
    assert torch.isfinite(trainer.callback_metrics["train/loss"])
    after = dict(family.model.named_parameters())
    assert all(not torch.equal(v, after[k].detach()) for k, v in before.items())


def _tiny_decoder_losses(scale_down: float):
    """A last layer and two losses whose fp16 gradients underflow unless scaled (``scale_down`` small)."""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 2, 3, padding=1)
    x = torch.randn(8, 4, 32, 32)
    out = conv(x)
    nll = scale_down * out.abs().mean()
    g_loss = -scale_down * 0.3 * out.tanh().mean()
    return conv.weight, nll, g_loss


def test_adaptive_weight_under_fp16_autocast_matches_fp32():
    weight, nll, g = _tiny_decoder_losses(1e-3)
    expected = adaptive_weight(nll, g, weight, 0.8)
    with torch.autocast("cpu", dtype=torch.float16):  # as in training_step, which Lightning wraps
        weight16, nll16, g16 = _tiny_decoder_losses(1e-3)
        got = adaptive_weight(nll16, g16, weight16, 0.8)
        unscaled = adaptive_weight(nll16, g16, weight16, 0.8, scale=1.0)
    assert torch.isfinite(got) and got == pytest.approx(float(expected), rel=0.02)
    # without the scale, float16's backward underflows (the ratio collapses): the test can tell
    assert float(unscaled) != pytest.approx(float(expected), rel=0.02)


def test_adaptive_weight_under_bf16_autocast_is_finite_and_close():
    weight, nll, g = _tiny_decoder_losses(1.0)
    expected = adaptive_weight(nll, g, weight, 0.8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        weight16, nll16, g16 = _tiny_decoder_losses(1.0)
        got = adaptive_weight(nll16, g16, weight16, 0.8)
    assert torch.isfinite(got) and got == pytest.approx(float(expected), rel=0.05)


def test_codebook_distances_stay_float32_under_bf16_autocast():
    torch.manual_seed(0)
    centre = torch.randn(1, 64) * 10  # codes close together far from 0: bf16 rounding flips the argmin
    codebook = centre + 0.1 * torch.randn(256, 64)
    z = centre + 0.1 * torch.randn(1024, 64)
    eager = nearest_code(z, codebook)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = nearest_code(z, codebook)
        rounded = torch.addmm(codebook.pow(2).sum(1)[None], z, codebook.t(), alpha=-2.0).argmin(1)
    assert torch.equal(got, eager)
    assert (rounded == eager).float().mean() < 0.5  # what a bf16 search would pick
