"""Tests of spikevision.channels: AWGN / Rayleigh channels, bandwidth ratio, separation baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import features
from torch import nn

from spikevision.channels import (
    AWGNChannel,
    Channel,
    RayleighBlockFadingChannel,
    bandwidth_ratio,
    capacity_bits,
    encode_at_budget,
    format_ratio,
    make_channel,
    measure_channel_uses,
    normalize_power,
    sample_snr_db,
    separation_psnr,
    to_symbols,
)
from spikevision.errors import ChannelError, SpikevisionError

SNRS_DB = [-5.0, 0.0, 5.0, 10.0, 20.0]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _normalised(x: torch.Tensor) -> torch.Tensor:
    """Reference normalisation: unit mean |z|^2 per sample, written independently."""
    flat = x.reshape(x.shape[0], -1).double()
    power = flat.square().sum(dim=1) / (flat.shape[1] / 2)
    return (flat / power.sqrt()[:, None]).reshape(x.shape).to(x.dtype)


def _complex(y: torch.Tensor) -> torch.Tensor:
    """Real [B, ...] → complex [B, S] by the pairing convention."""
    return torch.view_as_complex(y.reshape(y.shape[0], -1, 2).double().contiguous())


def _db(ratio: float) -> float:
    return 10.0 * math.log10(ratio)


# --- AWGN -----------------------------------------------------------------------------------


@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_awgn_measured_snr(snr_db):
    x = torch.randn(10, 200_000, generator=_gen(0)) * 3.0 + 1.0  # 10^6 complex symbols
    y = AWGNChannel(snr_db)(x, generator=_gen(1))
    z = _normalised(x)
    noise = (y - z).double()
    signal_power = z.double().square().sum() / (z.numel() / 2)
    noise_power = noise.square().sum() / (noise.numel() / 2)
    assert abs(_db(float(signal_power / noise_power)) - snr_db) < 0.1
    # noise is circular: sigma^2 / 2 per real part, parts uncorrelated
    re, im = noise.reshape(-1, 2).unbind(-1)
    sigma2 = 10 ** (-snr_db / 10)
    assert abs(float(re.var()) / (sigma2 / 2) - 1) < 0.02
    assert abs(float(im.var()) / (sigma2 / 2) - 1) < 0.02
    assert abs(float((re * im).mean())) < 0.01 * sigma2


@pytest.mark.parametrize(
    "shape,scale", [((4, 6), 1e-3), ((2, 3, 8, 8), 1.0), ((3, 5, 2), 1e3), ((1, 2), 7.0)]
)
def test_power_normalisation_exact(shape, scale):
    x = torch.randn(*shape, generator=_gen(2)) * scale + 0.3 * scale
    z, s = normalize_power(to_symbols(x))
    per_symbol = z.square().sum(-1).mean(-1)
    torch.testing.assert_close(per_symbol, torch.ones(shape[0]), atol=1e-5, rtol=0)
    y = AWGNChannel(snr_db=float("inf"))(x)
    assert y.shape == x.shape
    torch.testing.assert_close(
        y.reshape(shape[0], -1).square().mean(-1), torch.full((shape[0],), 0.5), atol=1e-5, rtol=0
    )
    torch.testing.assert_close(y * s.reshape(-1, *[1] * (x.dim() - 1)), x, rtol=1e-5, atol=1e-5)
    back = AWGNChannel(snr_db=float("inf"), rescale_output=True)(x)
    torch.testing.assert_close(back, x, rtol=1e-5, atol=1e-6 * scale)


def test_awgn_inf_snr_is_exactly_normalised_input():
    x = torch.randn(3, 4, 5, 6, generator=_gen(3))
    z, _ = normalize_power(to_symbols(x))
    y = AWGNChannel(float("inf"))(x, generator=_gen(4))
    assert torch.equal(y, z.reshape(x.shape))
    assert torch.equal(AWGNChannel(0.0)(x, snr_db=float("inf")), y)


def test_pairing_is_c_order_consecutive_pairs():
    x = torch.tensor([[[3.0, 4.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])  # [2, 2, 2]
    y = AWGNChannel(float("inf"))(x)
    z = _complex(y)
    # sample 0: symbols 3+4j and 0 → mean |z|^2 = 12.5
    torch.testing.assert_close(z[0], torch.tensor([3 + 4j, 0j], dtype=z.dtype) / math.sqrt(12.5))
    torch.testing.assert_close(z[1], torch.tensor([1 + 0j, 1j], dtype=z.dtype))


def test_per_sample_snr_tensor():
    x = torch.randn(2, 500_000, generator=_gen(5))
    snr = torch.tensor([0.0, 20.0])
    y = AWGNChannel(5.0)(x, snr_db=snr, generator=_gen(6))
    noise = (y - _normalised(x)).double()
    powers = noise.square().sum(1) / (noise.shape[1] / 2)
    assert abs(_db(1 / float(powers[0])) - 0.0) < 0.1
    assert abs(_db(1 / float(powers[1])) - 20.0) < 0.1


@pytest.mark.parametrize(
    "channel",
    [
        AWGNChannel(5.0),
        RayleighBlockFadingChannel(5.0, csi=True),
        RayleighBlockFadingChannel(5.0, csi=False, rescale_output=True),
    ],
)
def test_gradients_flow(channel):
    x = torch.randn(4, 3, 8, generator=_gen(7), dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 8, generator=_gen(8), dtype=torch.float64)
    (channel(x, generator=_gen(9)) * w).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # exact check against finite differences (fixed noise via a fixed seed)
    xs = x.detach()[:2].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: channel(t, generator=_gen(10)), (xs,))


def test_generator_reproducibility():
    x = torch.randn(4, 64, generator=_gen(11))
    for ch in (AWGNChannel(3.0), RayleighBlockFadingChannel(3.0, csi=False)):
        a, b = ch(x, generator=_gen(123)), ch(x, generator=_gen(123))
        c = ch(x, generator=_gen(124))
        assert torch.equal(a, b)
        assert not torch.allclose(a, c)


def test_clear_errors():
    ch = AWGNChannel()
    with pytest.raises(ChannelError, match="odd|even"):
        ch(torch.randn(2, 3, 3))
    with pytest.raises(ChannelError, match=r"snr_db.*\[B\] = \[4\]"):
        ch(torch.randn(4, 8), snr_db=torch.zeros(3))
    with pytest.raises(ChannelError, match="snr_db"):
        ch(torch.randn(4, 8), snr_db=torch.zeros(4, 1))
    with pytest.raises(ChannelError, match="snr_db"):
        AWGNChannel(snr_db=float("nan"))
    with pytest.raises(ChannelError, match="x:"):
        ch(torch.ones(2, 4, dtype=torch.int64))
    with pytest.raises(ChannelError, match="awgn.*rayleigh"):
        make_channel("rician")
    with pytest.raises(ChannelError, match="params"):
        make_channel("awgn", csi=True)
    assert issubclass(ChannelError, SpikevisionError) and issubclass(ChannelError, ValueError)


def test_zero_input_is_finite():
    x = torch.zeros(3, 16, requires_grad=True)
    for ch in (AWGNChannel(10.0), RayleighBlockFadingChannel(10.0), AWGNChannel(float("inf"))):
        y = ch(x, generator=_gen(12))
        assert torch.isfinite(y).all()
        y.sum().backward()
        assert torch.isfinite(x.grad).all()
    assert torch.equal(AWGNChannel(float("inf"))(x), torch.zeros(3, 16))


def test_make_channel_and_kind():
    a = make_channel("awgn", snr_db=3.0, rescale_output=True)
    r = make_channel("rayleigh", snr_db=1.0, csi=False)
    assert isinstance(a, AWGNChannel) and isinstance(a, Channel) and a.kind == "awgn"
    assert a.snr_db == 3.0 and a.rescale_output
    assert isinstance(r, RayleighBlockFadingChannel) and r.kind == "rayleigh" and not r.csi


def test_sample_snr_db():
    s = sample_snr_db(10_000, -2.0, 8.0, generator=_gen(13))
    assert s.shape == (10_000,) and s.min() >= -2.0 and s.max() <= 8.0
    assert abs(float(s.mean()) - 3.0) < 0.1
    assert torch.equal(s, sample_snr_db(10_000, -2.0, 8.0, generator=_gen(13)))
    with pytest.raises(ChannelError, match="low"):
        sample_snr_db(4, 5.0, 1.0)


# --- Rayleigh block fading ----------------------------------------------------------------


def test_rayleigh_gain_statistics_and_shape():
    x = torch.randn(100_000, 2, generator=_gen(14))
    y, gain = RayleighBlockFadingChannel(10.0, csi=False)(x, generator=_gen(15), return_gain=True)
    assert y.shape == x.shape and gain.shape == (100_000,)
    assert abs(float(gain.double().square().mean()) - 1.0) < 0.02


@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_rayleigh_noise_and_average_snr(snr_db):
    x = torch.randn(100_000, 20, generator=_gen(16))  # 10^6 complex symbols
    ch = RayleighBlockFadingChannel(snr_db, csi=False)
    y = ch(x, generator=_gen(17)).double()
    hz = ch(x, snr_db=float("inf"), generator=_gen(17)).double()  # same seed → same h, no noise
    noise_power = float((y - hz).square().sum() / (x.numel() / 2))
    signal_power = float(hz.square().sum() / (x.numel() / 2))  # ≈ E|h|^2 = 1
    assert abs(_db(1 / noise_power) - snr_db) < 0.1
    assert abs(_db(signal_power / noise_power) - snr_db) < 0.1


def test_rayleigh_csi_inf_recovers_normalised_input():
    x = torch.randn(64, 3, 4, 4, generator=_gen(18), dtype=torch.float64)
    y = RayleighBlockFadingChannel(float("inf"), csi=True)(x, generator=_gen(19))
    torch.testing.assert_close(y, _normalised(x), rtol=1e-9, atol=1e-9)
    back = RayleighBlockFadingChannel(float("inf"), rescale_output=True)(x, generator=_gen(19))
    torch.testing.assert_close(back, x, rtol=1e-9, atol=1e-9)


def test_rayleigh_no_csi_inf_gives_gain_times_symbols():
    x = torch.randn(32, 50, generator=_gen(20), dtype=torch.float64)
    y, gain = RayleighBlockFadingChannel(float("inf"), csi=False)(
        x, generator=_gen(21), return_gain=True
    )
    zy, zx = _complex(y), _complex(_normalised(x))
    torch.testing.assert_close(zy.abs(), gain[:, None] * zx.abs())
    torch.testing.assert_close(gain, (zy.abs() / zx.abs()).mean(dim=1))
    h = zy / zx  # one complex gain per sample, constant over the block
    torch.testing.assert_close(h, h[:, :1].expand_as(h))
    assert not torch.allclose(h[:, 0], h[:1, 0].expand(32))  # but different across samples


# --- bandwidth ------------------------------------------------------------------------------


def test_bandwidth_ratio_hand_cases():
    assert bandwidth_ratio(25 * 16 * 16, 128, 128) == pytest.approx(3200 / 49152)
    assert bandwidth_ratio(24 * 8 * 8, 64, 64) == pytest.approx(1 / 16)
    assert bandwidth_ratio(2 * 28 * 28, 28, 28, channels=1) == pytest.approx(1.0)
    with pytest.raises(ChannelError, match="num_real_symbols"):
        bandwidth_ratio(7, 8, 8)
    with pytest.raises(ChannelError, match="height"):
        bandwidth_ratio(8, 0, 8)


def test_format_ratio():
    assert format_ratio(1 / 16) == "1/16"
    assert format_ratio(1 / 16 * 1.009) == "1/16"
    assert format_ratio(1 / 6) == "1/6"
    assert format_ratio(3200 / 49152) == "0.0651"
    assert format_ratio(1.0) == "1"
    assert format_ratio(0.3) == "0.3"
    with pytest.raises(ChannelError, match="rho"):
        format_ratio(0.0)


class _TwoUses(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Linear(12, 8)
        self.channel = AWGNChannel(10.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.channel(self.enc(x))  # 8 reals → 4 symbols
        b = self.channel(x=x.reshape(x.shape[0], 3, 4))  # keyword call: 12 reals → 6 symbols
        return a.sum() + b.sum()


def test_measure_channel_uses():
    model = _TwoUses()
    x = torch.randn(5, 12)
    assert measure_channel_uses(model, lambda: model(x)) == [4, 6]
    assert not model.channel._forward_pre_hooks  # hooks removed
    assert torch.is_grad_enabled()
    with pytest.raises(ChannelError, match="model"):
        measure_channel_uses(nn.Linear(2, 2), lambda: None)


# --- separation baseline ------------------------------------------------------------------


def _natural_image() -> np.ndarray:
    """64x64 uint8 RGB: scikit-image's astronaut if available, else a smooth synthetic image."""
    try:
        from skimage.data import astronaut
        from skimage.transform import resize
    except ImportError:
        yy, xx = np.mgrid[0:64, 0:64] / 63.0
        img = np.stack([xx, yy, 0.5 + 0.4 * np.sin(6 * xx) * np.cos(4 * yy)], axis=-1)
        return np.round(img * 255).astype(np.uint8)
    img = resize(astronaut(), (64, 64), anti_aliasing=True)
    return np.round(img * 255).astype(np.uint8)


def test_capacity_bits():
    assert capacity_bits(100, 10.0) == pytest.approx(100 * math.log2(11.0))
    assert capacity_bits(50, 0.0) == pytest.approx(50.0)
    assert capacity_bits(10, float("inf")) == math.inf
    with pytest.raises(ChannelError, match="num_channel_uses"):
        capacity_bits(-1, 0.0)


def test_encode_at_budget():
    img = _natural_image()
    small, small_bits, q_small = encode_at_budget(img, 8 * 1200)
    large, large_bits, q_large = encode_at_budget(img, 8 * 3000)
    assert small is not None and large is not None
    assert small.shape == img.shape and small.dtype == np.uint8
    assert small_bits <= 8 * 1200 and large_bits <= 8 * 3000
    assert q_large > q_small
    none, bits, q = encode_at_budget(img, 100.0)
    assert none is None and q is None and bits > 100
    with pytest.raises(ChannelError, match="codec"):
        encode_at_budget(img, 1e4, codec="png")
    if features.check("webp"):
        webp, webp_bits, q_webp = encode_at_budget(img, 8 * 2000, codec="webp")
        assert webp is not None and webp_bits <= 8 * 2000 and 0 <= q_webp <= 100


def test_separation_outage_gives_mid_grey():
    img = np.full((2, 32, 32, 3), 200, dtype=np.uint8)
    expected = 10 * math.log10(1 / (200 / 255 - 0.5) ** 2)
    out = separation_psnr(img, rho=1 / 6, snr_db=5.0, design_snr_db=20.0)
    assert out["outage"] and out["fit_fraction"] == 1.0
    assert out["psnr"] == pytest.approx(expected)
    ok = separation_psnr(img, rho=1 / 6, snr_db=25.0, design_snr_db=20.0)  # above design: fine
    assert not ok["outage"] and ok["psnr"] > 40 and ok["qualities"] == out["qualities"]
    nofit = separation_psnr(img, rho=1 / 1000, snr_db=0.0)  # tiny budget: nothing fits
    assert nofit["fit_fraction"] == 0.0 and nofit["bits_per_image"] == 0.0
    assert nofit["psnr"] == pytest.approx(expected)


def test_separation_psnr_rises_with_snr():
    img = _natural_image()[None]
    results = [separation_psnr(img, rho=1 / 6, snr_db=s) for s in (10.0, 20.0, 30.0)]
    psnrs = [r["psnr"] for r in results]
    assert all(r["fit_fraction"] == 1.0 for r in results)
    assert psnrs[0] < psnrs[1] < psnrs[2]
    assert all(r["bits_per_image"] <= r["budget_bits"] for r in results)
    # float [N, 3, H, W] input in [0, 1] gives the same result
    as_float = torch.from_numpy(img).permute(0, 3, 1, 2).float() / 255
    assert separation_psnr(as_float, 1 / 6, 20.0)["psnr"] == pytest.approx(psnrs[1], abs=1e-3)
