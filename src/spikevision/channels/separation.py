"""Separate source/channel coding baseline: image codec + ideal capacity-achieving channel code.

For an image with ``n = 3 * H * W`` source dimensions and bandwidth ratio ``rho``, the channel
carries ``k = rho * n`` complex channel uses. An ideal channel code designed for SNR ``s`` delivers
``k * log2(1 + 10 ** (s / 10))`` bits error-free (AWGN capacity per complex use times ``k``). The
image is coded by JPEG or WebP (Pillow) at the largest quality whose encoded file fits that bit
budget; the quality is found by binary search (JPEG 1..95, WebP 0..100), which relies on encoded
sizes growing with quality - true enough in practice, though not guaranteed byte for byte.

Failure modes, both decoded as a mid-grey image (every value 0.5 in [0, 1]):

* *No fit*: even the lowest quality exceeds the budget, so nothing can be sent.
* *Outage*: with ``design_snr_db`` set, the budget is fixed at the design SNR; when the test SNR is
  below it the channel code fails and the receiver gets nothing usable. This makes the "cliff
  effect" of separation visible. Above the design SNR the quality stays at the design level.

PSNR is ``10 * log10(1 / MSE)`` on [0, 1] images, computed per image and then averaged
(``inf`` for an image decoded losslessly).
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import torch
from PIL import Image, features

from spikevision.errors import ChannelError

__all__ = ["capacity_bits", "encode_at_budget", "separation_psnr"]

_QUALITY_RANGE = {"jpeg": (1, 95), "webp": (0, 100)}
_MID_GREY = 0.5


def capacity_bits(num_channel_uses: float, snr_db: float) -> float:
    """Bits an ideal code delivers over ``num_channel_uses`` complex AWGN uses at ``snr_db`` dB.

    ``num_channel_uses * log2(1 + 10 ** (snr_db / 10))``; ``snr_db = inf`` gives ``inf``.
    """
    k = float(num_channel_uses)
    snr_db = float(snr_db)
    if not math.isfinite(k) or k < 0:
        raise ChannelError(f"num_channel_uses: expected a finite value >= 0, got {k}")
    if math.isnan(snr_db):
        raise ChannelError("snr_db: expected an SNR in dB, got NaN")
    if snr_db == math.inf:
        return math.inf if k > 0 else 0.0
    return k * math.log2(1.0 + 10.0 ** (snr_db / 10.0))


def _check_codec(codec: str) -> tuple[int, int]:
    if codec not in _QUALITY_RANGE:
        raise ChannelError(f"codec: expected one of {sorted(_QUALITY_RANGE)}, got {codec!r}")
    if codec == "webp" and not features.check("webp"):
        raise ChannelError("codec: 'webp' requested but this Pillow build has no WebP support")
    return _QUALITY_RANGE[codec]


def _encode(image: Image.Image, codec: str, quality: int) -> bytes:
    buf = io.BytesIO()
    if codec == "jpeg":
        image.save(buf, format="JPEG", quality=quality, optimize=True)
    else:
        image.save(buf, format="WEBP", quality=quality)
    return buf.getvalue()


def encode_at_budget(
    image: np.ndarray, budget_bits: float, codec: str = "jpeg"
) -> tuple[np.ndarray | None, int, int | None]:
    """Code a uint8 ``[H, W, 3]`` image at the largest quality whose size is <= ``budget_bits``.

    Returns ``(decoded uint8 [H, W, 3], size in bits, quality)``; if even the lowest quality does
    not fit, ``(None, size in bits at the lowest quality, None)``.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ChannelError(
            f"image: expected a uint8 numpy array [H, W, 3], got {type(image)}"
            f" {getattr(image, 'dtype', '')}"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise ChannelError(f"image: expected shape [H, W, 3], got {image.shape}")
    budget = float(budget_bits)
    if math.isnan(budget) or budget < 0:
        raise ChannelError(f"budget_bits: expected a value >= 0 (bits), got {budget}")
    q_min, q_max = _check_codec(codec)
    pil = Image.fromarray(np.ascontiguousarray(image))
    cache: dict[int, bytes] = {}

    def size_bits(q: int) -> int:
        if q not in cache:
            cache[q] = _encode(pil, codec, q)
        return 8 * len(cache[q])

    if size_bits(q_min) > budget:
        return None, size_bits(q_min), None
    lo, hi = q_min, q_max  # invariant: lo fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size_bits(mid) <= budget:
            lo = mid
        else:
            hi = mid - 1
    with Image.open(io.BytesIO(cache[lo])) as decoded:
        out = np.asarray(decoded.convert("RGB"), dtype=np.uint8).copy()
    return out, size_bits(lo), lo


def _as_images(images: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(uint8 [N, H, W, 3] codec input, float64 [N, H, W, 3] reference in [0, 1])``."""
    if isinstance(images, torch.Tensor):
        if not images.is_floating_point() or images.dim() != 4 or images.shape[1] != 3:
            raise ChannelError(
                f"images: a torch tensor must be float [N, 3, H, W] in [0, 1], got "
                f"{images.dtype} {tuple(images.shape)}"
            )
        ref = images.detach().to("cpu", torch.float64).permute(0, 2, 3, 1).numpy()
        ref = np.clip(ref, 0.0, 1.0)
        return np.round(ref * 255.0).astype(np.uint8), ref
    if isinstance(images, np.ndarray) and images.dtype == np.uint8:
        if images.ndim != 4 or images.shape[3] != 3:
            raise ChannelError(f"images: a uint8 array must be [N, H, W, 3], got {images.shape}")
        return images, images.astype(np.float64) / 255.0
    raise ChannelError(
        "images: expected a uint8 numpy array [N, H, W, 3] or a float torch tensor "
        f"[N, 3, H, W] in [0, 1], got {type(images).__name__}"
    )


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def separation_psnr(
    images: np.ndarray | torch.Tensor,
    rho: float,
    snr_db: float,
    design_snr_db: float | None = None,
    codec: str = "jpeg",
) -> dict[str, Any]:
    """PSNR of the separation baseline at bandwidth ratio ``rho`` and test SNR ``snr_db`` (dB).

    ``images``: uint8 ``[N, H, W, 3]`` or float tensor ``[N, 3, H, W]`` in [0, 1]. The budget is
    ``capacity_bits(rho * 3 * H * W, design_snr_db or snr_db)`` bits per image. Returns a dict:
    ``psnr`` (mean over images, dB), ``psnr_per_image``, ``bits_per_image`` (mean encoded bits
    sent, 0 for images that did not fit), ``fit_fraction``, ``qualities`` (``None`` = no fit),
    ``outage`` (test SNR below design SNR), ``budget_bits`` and ``num_channel_uses``.
    """
    codec_in, ref = _as_images(images)
    rho = float(rho)
    if not math.isfinite(rho) or rho <= 0:
        raise ChannelError(f"rho: expected a positive finite bandwidth ratio, got {rho}")
    _check_codec(codec)
    n, h, w, _ = codec_in.shape
    if n == 0:
        raise ChannelError("images: expected at least one image, got N = 0")
    k = rho * 3 * h * w
    design = float(snr_db) if design_snr_db is None else float(design_snr_db)
    budget = capacity_bits(k, design)
    outage = design_snr_db is not None and float(snr_db) < design
    grey = np.full_like(ref[0], _MID_GREY)

    psnrs: list[float] = []
    bits: list[int] = []
    qualities: list[int | None] = []
    for i in range(n):
        decoded, size, quality = encode_at_budget(codec_in[i], budget, codec)
        qualities.append(quality)
        bits.append(size if decoded is not None else 0)
        if decoded is None or outage:
            recon = grey
        else:
            recon = decoded.astype(np.float64) / 255.0
        psnrs.append(_psnr(recon, ref[i]))
    fits = sum(q is not None for q in qualities)
    return {
        "psnr": float(np.mean(psnrs)),
        "psnr_per_image": psnrs,
        "bits_per_image": float(np.mean(bits)),
        "fit_fraction": fits / n,
        "qualities": qualities,
        "outage": outage,
        "budget_bits": budget,
        "num_channel_uses": k,
    }
