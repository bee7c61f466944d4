"""SNR sweep of stereo JSCC models and of the separation baseline.

For each model, channel (AWGN; Rayleigh block fading with or without CSI) and test SNR, every
test pair is sent with channel noise seeded by the batch index; PSNR (mean of per-image
``10·log10(1/MSE)``) and MS-SSIM are averaged over the left views (and the right views when the
variant sends them). The model's operation counts (real MACs, spike-driven synaptic operations,
the MACs of the same network as a CNN), the energy estimate (real MACs · 4.6 pJ + SynOps · 0.9 pJ,
vs the CNN MACs · 4.6 pJ; :mod:`spikevision.metrics.synops`) and mean firing rate are measured once
per model at its design SNR. The separation baseline (JPEG/WebP at the channel capacity, ideal channel code) is
evaluated on the same left views, both designed for each test SNR ("ideal") and designed for the
models' training SNR (the cliff).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader

from spikevision.channels import format_ratio, make_channel, separation_psnr
from spikevision.metrics.msssim import msssim_db, msssim_per_image
from spikevision.metrics.psnr import psnr_per_image
from spikevision.metrics.synops import E_MAC_J, count_operations
from spikevision.models.jscc.jscc_module import StereoJsccModel
from spikevision.snn.firing import FiringRateMonitor

CHANNELS = ("awgn", "rayleigh")


def default_snrs() -> list[float]:
    """−5 … 15 dB in steps of 2.5 dB."""
    return [-5.0 + 2.5 * i for i in range(9)]


@torch.no_grad()
def evaluate_point(model: StereoJsccModel, batches: Sequence[dict[str, torch.Tensor]], channel: str,
                   snr_db: float, csi: bool = True) -> dict[str, float]:
    """Mean PSNR / MS-SSIM per view at one channel and SNR."""
    params: dict[str, Any] = {"snr_db": snr_db}
    if channel == "rayleigh":
        params["csi"] = csi
    saved = model.system.channel
    model.system.channel = make_channel(channel, **params)
    sums: dict[str, float] = {}
    count = 0
    try:
        for i, batch in enumerate(batches):
            gen = torch.Generator(device=batch["left"].device).manual_seed(10_007 * i + 1)
            out = model(batch["left"], batch["right"], snr_db=snr_db, generator=gen)
            n = batch["left"].shape[0]
            count += n
            for view in ("left", "right"):
                if out.get(view) is None:
                    continue
                for key, values in (("psnr", psnr_per_image(out[view], batch[view])),
                                    ("msssim", msssim_per_image(out[view], batch[view]))):
                    sums[f"{key}_{view}"] = sums.get(f"{key}_{view}", 0.0) + float(values.sum())
    finally:
        model.system.channel = saved
    return {k: v / count for k, v in sums.items()}


def firing_rates(model: StereoJsccModel, batches: Sequence[dict[str, torch.Tensor]]) -> dict[str, float]:
    """Per-layer firing rates at the model's design SNR (AWGN); empty for a CNN."""
    monitor = FiringRateMonitor(model.system)
    if not monitor.layers:
        return {}
    with monitor:
        evaluate_point(model, batches, "awgn", model.eval_snr_db)
    return monitor.rates()


def model_details(model: StereoJsccModel, batches: Sequence[dict[str, torch.Tensor]]) -> dict[str, Any]:
    """Measured once per model: per-layer firing rates and their mean, and the operation counts
    per stereo pair (real-input MACs, synaptic operations, the MACs of the same network run as a
    CNN, i.e. every layer once and dense), in total and per layer."""
    model.eval()
    left, right = batches[0]["left"], batches[0]["right"]
    ops = count_operations(model, lambda: model(left, right), images=left.shape[0])
    steps = model.system.time_steps
    rates = firing_rates(model, batches)
    cnn_macs = sum(v.macs / steps if v.spike_input else v.macs for v in ops.layers.values())
    return {"firing": rates, "firing_rate": sum(rates.values()) / len(rates) if rates else None,
            "macs": ops.real_macs, "synops": ops.synops, "cnn_macs": cnn_macs,
            "energy_j": ops.energy_spiking_j, "cnn_energy_j": cnn_macs * E_MAC_J,
            "layers": {k: {"macs": v.macs, "synops": v.synops, "spike_input": v.spike_input,
                           "input_rate": v.input_rate} for k, v in ops.layers.items()}}


def sweep_model(name: str, model: StereoJsccModel, batches: Sequence[dict[str, torch.Tensor]],
                snrs: Iterable[float], channels: Iterable[str] = CHANNELS, csi: bool = True,
                details: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per (channel, SNR) for ``model``; see the module doc for the columns.
    ``details``: the model's :func:`model_details` when already measured."""
    details = details if details is not None else model_details(model, batches)
    h, w = batches[0]["left"].shape[-2:]
    rho = model.bandwidth_ratio(h, w)
    info = {"model": name, "variant": model.system.variant,
            "kind": "snn" if model.system.spiking else "cnn", "rho": rho, "rho_str": format_ratio(rho),
            "time_steps": model.system.time_steps,
            **{k: details.get(k) for k in ("firing_rate", "macs", "synops", "cnn_macs", "energy_j", "cnn_energy_j")}}
    rows = []
    for channel in channels:
        for snr in snrs:
            metrics = evaluate_point(model, batches, channel, float(snr), csi)
            label = channel if channel == "awgn" else f"rayleigh{'' if csi else '-nocsi'}"
            rows.append({**info, "channel": label, "snr_db": float(snr), **metrics,
                         "msssim_db_left": msssim_db(metrics["msssim_left"])})
    return rows


def sweep_separation(batches: Sequence[dict[str, torch.Tensor]], rho: float, snrs: Iterable[float],
                     design_snr_db: float, codec: str = "jpeg") -> list[dict[str, Any]]:
    """Separation-baseline rows (AWGN): ``ideal`` (code designed per test SNR) and ``design``
    (designed at ``design_snr_db``: outage below it)."""
    images = torch.cat([b["left"] for b in batches]).clamp(0, 1)
    rows = []
    for snr in snrs:
        for mode, design in (("ideal", None), ("design", design_snr_db)):
            res = separation_psnr(images.cpu(), rho=rho, snr_db=float(snr), design_snr_db=design, codec=codec)
            label = f"{codec.upper()}+capacity ({'ideal' if design is None else f'designed at {design:g} dB'})"
            psnr = res["psnr"]
            rows.append({"model": label, "variant": "separation", "kind": "separation", "rho": rho,
                         "rho_str": format_ratio(rho), "channel": "awgn", "snr_db": float(snr),
                         "psnr_left": psnr if math.isfinite(psnr) else 99.0, "fit_fraction": res["fit_fraction"],
                         "outage": res["outage"],
                         "bits_per_image": res["bits_per_image"], "mode": mode})
    return rows


def collect_batches(loader: DataLoader, limit: int | None,
                    device: torch.device | str = "cpu") -> list[dict[str, torch.Tensor]]:
    """The first ``limit`` pairs of ``loader`` as a list of batches on ``device``."""
    batches, n = [], 0
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items() if k in ("left", "right")}
        if limit is not None and n + batch["left"].shape[0] > limit:
            batch = {k: v[: limit - n] for k, v in batch.items()}
        if batch["left"].shape[0]:
            batches.append(batch)
        n += batch["left"].shape[0]
        if limit is not None and n >= limit:
            break
    return batches
