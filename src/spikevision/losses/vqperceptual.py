"""VQ-GAN training loss: L1 (+ LPIPS) + codebook loss + hinge PatchGAN with taming's adaptive weight.

Generator: ``nll = mean(|x − x̂| + w_p · LPIPS(x, x̂))`` (``pixel_loss='l2'``: squared error, which
predicts event probabilities rather than the median of sparse binary frames);
``loss = nll + d_weight · disc_factor · (−mean D(x̂)) + codebook_weight · L_vq`` with
``d_weight = clamp(‖∇_last nll‖ / (‖∇_last g‖ + 1e-4), 0, 1e4) · disc_weight`` once the
discriminator is enabled, else 0. ``disc_start`` is counted in ``disc_start_unit``: ``batch`` =
training batches (the unit of the image logger's ``batch_frequency`` too), ``epoch`` = epochs, or
``global_step`` = optimizer steps, the reference's clock (Lightning's ``global_step``: the VQ-GAN's
two optimizers take two per batch, so the reference's ``disc_start: 30001`` trains the
discriminator from batch 15,000). ``step``, the old name of ``batch``, still counts batches
(saved run configs keep their meaning; a DeprecationWarning names the new one).
Discriminator (hinge): ``0.5 · (mean relu(1 − D(x)) + mean relu(1 + D(x̂)))``.
Images are in [−1, 1], ``[N, C, H, W]`` (event data: one entry per time step).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from spikevision.losses.discriminator import NLayerDiscriminator
from spikevision.registry import instantiate_from_config

DISC_LOSSES = ("hinge", "vanilla")
DISC_START_UNITS = ("batch", "epoch", "global_step")
OLD_UNITS = {"step": "batch"}  # saved run configs name it


def hinge_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * (F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean())


def vanilla_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * (F.softplus(-real).mean() + F.softplus(fake).mean())


FP16_GRAD_SCALE = 2.0**16  # GradScaler's initial scale


def fp16_autocast(device_type: str) -> bool:
    """Whether float16 autocast is on for ``device_type`` (``16-mixed``)."""
    return torch.is_autocast_enabled(device_type) and torch.get_autocast_dtype(device_type) == torch.float16


def adaptive_weight(nll: torch.Tensor, g_loss: torch.Tensor, last_layer: torch.Tensor,
                    disc_weight: float, scale: float | None = None) -> torch.Tensor:
    """``clamp(‖∇nll‖ / (‖∇g‖ + 1e-4), 0, 1e4) · disc_weight`` (gradients w.r.t. ``last_layer``).

    The losses are unscaled (Lightning's GradScaler scales only what ``manual_backward`` gets), so
    under float16 autocast their float16 backward can underflow to 0 (or, for a large loss, overflow):
    the gradients are then taken of ``scale · loss`` (default 2¹⁶ under fp16 autocast, else 1), divided
    by ``scale`` in float32 before the norms, so the formula is unchanged; a non-finite result retries
    with a scale 2⁸ times smaller, and one still non-finite at scale 1 gives weight 0 for the step."""
    if scale is None:
        scale = FP16_GRAD_SCALE if fp16_autocast(last_layer.device.type) else 1.0
    while True:
        nll_grad = torch.autograd.grad(nll * scale, last_layer, retain_graph=True)[0].float() / scale
        g_grad = torch.autograd.grad(g_loss * scale, last_layer, retain_graph=True)[0].float() / scale
        finite = bool(torch.isfinite(nll_grad).all() and torch.isfinite(g_grad).all())
        if finite or scale <= 1.0:
            break
        scale = max(1.0, scale / 2.0**8)
    if not finite:
        return torch.zeros((), device=last_layer.device)
    weight = nll_grad.norm() / (g_grad.norm() + 1e-4)
    return weight.clamp(0.0, 1e4).detach() * disc_weight


class VQLPIPSWithDiscriminator(nn.Module):
    """See module docstring. ``perceptual_weight ≤ 0`` builds no LPIPS network at all."""

    def __init__(
        self,
        disc_start: int = 0,
        disc_start_unit: str = "batch",
        codebook_weight: float = 1.0,
        pixel_weight: float = 1.0,
        perceptual_weight: float = 0.0,
        vgg_weights: str | None = None,
        perceptual_backbone: Mapping[str, Any] | None = None,
        perceptual_channels: Sequence[int] | None = None,
        disc_weight: float = 0.8,
        disc_factor: float = 1.0,
        disc_in_channels: int = 3,
        disc_ndf: int = 64,
        disc_num_layers: int = 3,
        disc_loss: str = "hinge",
        pixel_loss: str = "l1",
    ) -> None:
        super().__init__()
        if disc_start_unit in OLD_UNITS:
            warnings.warn(f"loss.params.disc_start_unit '{disc_start_unit}' is the old name of "
                          f"'{OLD_UNITS[disc_start_unit]}' (training batches); use that", DeprecationWarning,
                          stacklevel=2)
            disc_start_unit = OLD_UNITS[disc_start_unit]
        if disc_start_unit not in DISC_START_UNITS:
            raise ValueError(f"loss.params.disc_start_unit must be one of {DISC_START_UNITS}, got '{disc_start_unit}'")
        if disc_loss not in DISC_LOSSES:
            raise ValueError(f"disc_loss must be one of {DISC_LOSSES}, got '{disc_loss}'")
        if pixel_loss not in ("l1", "l2"):
            raise ValueError(f"pixel_loss must be 'l1' or 'l2', got '{pixel_loss}'")
        self.pixel_loss = pixel_loss
        self.disc_start, self.disc_start_unit = disc_start, disc_start_unit
        self.codebook_weight, self.pixel_weight = codebook_weight, pixel_weight
        self.perceptual_weight = perceptual_weight
        self.perceptual = None
        if perceptual_weight > 0:
            from spikevision.losses.lpips_loss import LPIPS

            backbone = (instantiate_from_config(perceptual_backbone, "loss.perceptual_backbone")
                        if perceptual_backbone else None)
            self.perceptual = LPIPS(vgg_weights, backbone, perceptual_channels)
        self.disc_weight, self.disc_factor = disc_weight, disc_factor
        self.discriminator = NLayerDiscriminator(disc_in_channels, disc_ndf, disc_num_layers)
        self.d_loss = hinge_d_loss if disc_loss == "hinge" else vanilla_d_loss

    def disc_active(self, step: int, epoch: int, batch: int | None = None) -> bool:
        """Whether the GAN terms are on: ``disc_start`` reached in its unit. ``step``: optimizer
        steps so far (``global_step``), ``epoch``, ``batch``: training batches so far (default
        ``step``: one optimizer)."""
        clock = {"global_step": step, "epoch": epoch,
                 "batch": step if batch is None else batch}[self.disc_start_unit]
        return clock >= self.disc_start and self.disc_factor > 0

    def zero_discriminator_grads(self) -> None:
        """Give every discriminator parameter a zero gradient (where it has none): the reference's
        zero-weighted discriminator loss before ``disc_start``. Needed under ``16-mixed``, whose
        GradScaler refuses to step an optimizer that recorded no gradients."""
        for p in self.discriminator.parameters():
            if p.grad is None:
                p.grad = torch.zeros_like(p)

    def generator_loss(self, x: torch.Tensor, xrec: torch.Tensor, codebook_loss: torch.Tensor,
                       step: int, epoch: int, last_layer: torch.Tensor | None = None,
                       batch: int | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Autoencoder loss and detached parts for logging (clocks as in :meth:`disc_active`)."""
        diff = (x - xrec).abs() if self.pixel_loss == "l1" else (x - xrec) ** 2
        rec = self.pixel_weight * diff
        logs: dict[str, torch.Tensor] = {"l1": (x - xrec).abs().mean().detach()}
        if self.perceptual is not None:
            p = self.perceptual(x, xrec)
            rec = rec + self.perceptual_weight * p.view(-1, 1, 1, 1)
            logs["lpips"] = p.mean().detach()
        nll = rec.mean()
        loss = nll + self.codebook_weight * codebook_loss
        d_weight = torch.zeros((), device=x.device)
        if self.disc_active(step, epoch, batch):
            g_loss = -self.discriminator(xrec).mean()
            if torch.is_grad_enabled() and last_layer is not None and last_layer.requires_grad:
                d_weight = adaptive_weight(nll, g_loss, last_layer, self.disc_weight)
            loss = loss + d_weight * self.disc_factor * g_loss
            logs["g_loss"] = g_loss.detach()
        logs.update(nll=nll.detach(), vq=codebook_loss.detach(), d_weight=d_weight, total=loss.detach())
        return loss, logs

    def discriminator_loss(self, x: torch.Tensor, xrec: torch.Tensor, step: int, epoch: int,
                           batch: int | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Discriminator loss (zero-weighted before ``disc_start``) and logits for logging."""
        real = self.discriminator(x.detach())
        fake = self.discriminator(xrec.detach())
        factor = self.disc_factor if self.disc_active(step, epoch, batch) else 0.0
        loss = factor * self.d_loss(real, fake)
        return loss, {"d_loss": loss.detach(), "logits_real": real.mean().detach(),
                      "logits_fake": fake.mean().detach()}
