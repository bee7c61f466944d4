"""``StereoJsccModel``: the LightningModule of every stereo JSCC variant (CNN and SNN).

Batches are ``{"left", "right": [B, 3, H, W]}`` in [0, 1]. Loss ``MSE(left) + α·MSE(right)``
(the right term only when the variant sends the right view), optionally
``+ w·(1 − MS-SSIM)`` per sent view. Training draws the SNR per sample uniformly from
``train_snr_db = [low, high]`` (or uses one value); validation and test run at ``eval_snr_db``
with channel noise seeded by the batch index, so two evaluations of a checkpoint agree.
Logged per view: PSNR (mean of per-image 10·log10(1/MSE)), MS-SSIM. Per spiking layer firing
rates (``val/firing/<layer>``, ``val/firing_mean``, validation and test only) come from the trainer's
:class:`~spikevision.callbacks.firing_rates.FiringRates` callback, as for every family.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_info

from spikevision.channels import format_ratio, sample_snr_db
from spikevision.errors import ConfigError
from spikevision.metrics.msssim import msssim_per_image
from spikevision.metrics.psnr import psnr_per_image
from spikevision.models.compile import CompileSpec, compile_networks
from spikevision.models.jscc.stereo import StereoJscc
from spikevision.safe_load import read_state_dict
from spikevision.snn.neurons import reset_states
from spikevision.visualize import image_panels

log = logging.getLogger(__name__)

VIEWS = ("left", "right")


def load_weights_file(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of a checkpoint file or of a run directory's ``last.ckpt``
    (:func:`spikevision.safe_load.read_state_dict`: ``weights_only=True``, one-line errors)."""
    path = Path(path).expanduser()
    return read_state_dict(path / "checkpoints" / "last.ckpt" if path.is_dir() else path)


class StereoJsccModel(pl.LightningModule):
    """Train/evaluate a :class:`StereoJscc` (``system`` holds its keyword arguments)."""

    def __init__(self, system: Mapping[str, Any], learning_rate: float = 1e-4, alpha: float = 1.0,
                 msssim_weight: float = 0.0, train_snr_db: float | Sequence[float] = 5.0,
                 eval_snr_db: float = 5.0, init_from: str | None = None, lr_schedule: str = "cosine",
                 monitor: str = "val/psnr_left", compile: CompileSpec = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.system = StereoJscc(**dict(system))
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.msssim_weight = msssim_weight
        if isinstance(train_snr_db, (int, float)):
            self.train_snr = (float(train_snr_db), float(train_snr_db))
        else:
            snr = [float(v) for v in train_snr_db]
            if len(snr) != 2 or snr[0] > snr[1]:
                raise ConfigError(f"model.params.train_snr_db: expected a number or [low, high], got {snr}")
            self.train_snr = (snr[0], snr[1])
        self.eval_snr_db = float(eval_snr_db)
        if lr_schedule not in ("cosine", "none"):
            raise ConfigError(f"model.params.lr_schedule: expected 'cosine' or 'none', got '{lr_schedule}'")
        self.lr_schedule = lr_schedule
        self.monitor = monitor
        self.monitor_mode = "max" if "psnr" in monitor or "msssim" in monitor else "min"
        if init_from:
            self.init_from_checkpoint(init_from)
        compile_networks(self, compile, "system")  # torch.compile (spikevision.models.compile)

    # ------------------------------------------------------------------ set-up
    def init_from_checkpoint(self, path: str | Path) -> int:
        """Copy every tensor of a trained checkpoint (e.g. the matched CNN) whose name and shape
        match; returns how many were copied. Neuron/activation parameters are left as they are."""
        state = load_weights_file(path)
        own = self.state_dict()
        matched = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        if not matched:
            raise ConfigError(f"model.params.init_from: {path} shares no tensor with this model")
        self.load_state_dict(matched, strict=False)
        log.info("initialised %d of %d tensors from %s", len(matched), len(own), path)
        return len(matched)

    def bandwidth_ratio(self, height: int, width: int) -> float:
        return self.system.bandwidth_ratio(height, width)

    def on_fit_start(self) -> None:
        """State ρ for the training data's image size (it belongs with every result)."""
        data = getattr(self.trainer, "datamodule", None)
        try:
            height, width = data.dataset("train").image_size
        except (AttributeError, KeyError, TypeError, ValueError):
            return
        rho = self.bandwidth_ratio(height, width)
        rank_zero_info(f"stereo JSCC ({self.system.variant}, {'SNN' if self.system.spiking else 'CNN'}):"
                       f" bandwidth ratio ρ = {format_ratio(rho)} ({rho:.4f}) at {height}×{width}")

    def forward(self, left: torch.Tensor, right: torch.Tensor, snr_db: float | torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor | None]:
        reset_states(self.system)
        out = self.system(left, right, snr_db=snr_db, generator=generator)
        reset_states(self.system)
        return out

    # ------------------------------------------------------------------ steps
    def _views(self, out: Mapping[str, torch.Tensor | None]) -> list[str]:
        return [v for v in VIEWS if out.get(v) is not None]

    def loss_terms(self, out: Mapping[str, torch.Tensor | None],
                   batch: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        parts: dict[str, torch.Tensor] = {}
        total = torch.zeros((), device=batch["left"].device)
        for view in self._views(out):
            weight = 1.0 if view == "left" else self.alpha
            mse = F.mse_loss(out[view], batch[view])
            parts[f"mse_{view}"] = mse.detach()
            total = total + weight * mse
            if self.msssim_weight > 0:
                ms = msssim_per_image(out[view], batch[view]).mean()
                parts[f"msssim_{view}"] = ms.detach()
                total = total + weight * self.msssim_weight * (1 - ms)
        return total, parts

    def training_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        b = batch["left"].shape[0]
        low, high = self.train_snr
        snr = low if low == high else sample_snr_db(b, low, high).to(batch["left"].device)
        out = self(batch["left"], batch["right"], snr_db=snr)
        loss, parts = self.loss_terms(out, batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=b)
        self.log_dict({f"train/{k}": v for k, v in parts.items()}, batch_size=b)
        with torch.no_grad():
            self.log("train/psnr_left", psnr_per_image(out["left"], batch["left"]).mean(), batch_size=b)
        return loss

    def _evaluate(self, batch: Mapping[str, torch.Tensor], batch_idx: int, split: str) -> None:
        b = batch["left"].shape[0]
        gen = torch.Generator(device=batch["left"].device).manual_seed(10_007 * batch_idx + 1)
        out = self(batch["left"], batch["right"], snr_db=self.eval_snr_db, generator=gen)
        loss, _ = self.loss_terms(out, batch)
        self.log(f"{split}/loss", loss, batch_size=b, sync_dist=True)
        for view in self._views(out):
            self.log(f"{split}/psnr_{view}", psnr_per_image(out[view], batch[view]).mean(),
                     prog_bar=view == "left", batch_size=b, sync_dist=True)
            self.log(f"{split}/msssim_{view}", msssim_per_image(out[view], batch[view]).mean(),
                     batch_size=b, sync_dist=True)

    def validation_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")

    # ------------------------------------------------------------------ optimisation, images
    def configure_optimizers(self) -> Any:
        opt = torch.optim.Adam(self.system.parameters(), lr=self.learning_rate)
        if self.lr_schedule == "none" or self.trainer is None:
            return opt
        steps = self.trainer.estimated_stepping_batches
        if not isinstance(steps, int) or steps <= 0 or steps > 10**9:
            return opt
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=self.learning_rate * 0.05)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    @torch.no_grad()
    def log_images(self, batch: Mapping[str, torch.Tensor], max_images: int = 8) -> dict[str, torch.Tensor]:
        """``comparison``: left | right | decoded left | decoded right (grey when not sent)."""
        left, right = batch["left"][:max_images], batch["right"][:max_images]
        gen = torch.Generator(device=left.device).manual_seed(1)
        out = self(left, right, snr_db=self.eval_snr_db, generator=gen)
        dec_right = out["right"] if out["right"] is not None else torch.full_like(right, 0.5)
        return image_panels({"_left": left, "_right": right, "_decoded_left": out["left"], "_decoded_right": dec_right})
