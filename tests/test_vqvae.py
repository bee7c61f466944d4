"""Stage 1: quantizers, VQ loss, GAN loss pieces, LPIPS wiring and the spiking VQ-VAE."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from spikevision.losses.lpips_loss import LPIPS, lpips_linear_weights
from spikevision.losses.pretrained import WeightsNotFoundError
from spikevision.losses.vqperceptual import VQLPIPSWithDiscriminator, adaptive_weight, hinge_d_loss
from spikevision.models.vqvae import (
    SnnDecoder,
    SnnEncoder,
    SnnVQModel,
    TemporalQuantizer,
    VanillaQuantizer,
)
from spikevision.models.vqvae.quantizer import (
    code_statistics,
    nearest_code,
    nearest_code_materialised,
    vq_loss,
)
from spikevision.snn import encode_input

T, B, C, H, W = 3, 2, 4, 2, 3


@pytest.mark.parametrize("cls", [TemporalQuantizer, VanillaQuantizer])
def test_quantizer_shapes_and_straight_through_gradient(cls):
    q = cls(n_e=8, e_dim=C, time_steps=T)
    z = torch.randn(T, B, C, H, W, requires_grad=True)
    z_q, loss, info = q(z)
    assert z_q.shape == z.shape and loss.dim() == 0
    expected = (B, H, W) if cls is TemporalQuantizer else (T, B, H, W)
    assert info["indices"].shape == expected
    (z_q * 3.0).sum().backward()
    assert torch.allclose(z.grad, torch.full_like(z, 3.0))  # straight-through: identity gradient
    # forward value is the code, up to the float rounding of z + (e - z)
    assert torch.allclose(z_q, q.embed(info["indices"]), atol=1e-6)


def test_temporal_codes_are_trajectories_shared_over_time():
    q = TemporalQuantizer(n_e=5, e_dim=C, time_steps=T)
    book = q.embedding.weight.data = torch.randn(5, T * C) * 3
    idx = torch.tensor([[[0, 4, 2], [1, 1, 3]], [[2, 2, 2], [4, 0, 1]]])  # [B, H, W]
    traj = book[idx].view(B, H, W, T, C)  # position's T-step trajectory
    z = traj.permute(3, 0, 4, 1, 2) + 0.01 * torch.randn(T, B, C, H, W)
    z_q, _, info = q(z)
    assert torch.equal(info["indices"], idx)
    for t in range(T):  # step t receives slice t of the chosen trajectory
        assert torch.allclose(z_q[t, 1, :, 0, 2], book[idx[1, 0, 2], t * C : (t + 1) * C], atol=0.02)


def test_vanilla_codes_are_chosen_per_time_step():
    q = VanillaQuantizer(n_e=4, e_dim=C, time_steps=T)
    book = q.embedding.weight.data = torch.eye(4) * 5
    idx = torch.randint(0, 4, (T, B, H, W))
    z = book[idx].permute(0, 1, 4, 2, 3)
    _, _, info = q(z)
    assert torch.equal(info["indices"], idx)
    assert not torch.equal(idx[0], idx[1])  # different maps per step are representable


def test_nearest_code_matches_materialised_search():
    g = torch.Generator().manual_seed(0)
    z, book = torch.randn(500, 24, generator=g), torch.randn(64, 24, generator=g)
    assert torch.equal(nearest_code(z, book, chunk=77), nearest_code_materialised(z, book))


def test_vq_loss_values_and_beta_placement_by_hand():
    z = torch.tensor([1.0, 2.0, 3.0, 5.0], requires_grad=True)
    e = torch.tensor([0.0, 2.0, 1.0, 1.0], requires_grad=True)
    mse = ((1 + 0 + 4 + 16) / 4)
    loss = vq_loss(z, e, beta=0.25, legacy=False)
    assert loss.item() == pytest.approx(1.25 * mse)
    loss.backward()
    # correct: β on the commitment term → dL/dz = β·2(z−e)/N, dL/de = 2(e−z)/N
    assert torch.allclose(z.grad, 0.25 * 2 * (z - e).detach() / 4)
    assert torch.allclose(e.grad, 2 * (e - z).detach() / 4)
    z.grad = e.grad = None
    vq_loss(z, e, beta=0.25, legacy=True).backward()  # reference: β on the codebook term
    assert torch.allclose(z.grad, 2 * (z - e).detach() / 4)
    assert torch.allclose(e.grad, 0.25 * 2 * (e - z).detach() / 4)


def test_code_statistics_perplexity_and_usage():
    stats = code_statistics(torch.tensor([0, 1, 2, 3] * 5), n_e=16)
    assert stats["perplexity"].item() == pytest.approx(4.0)
    assert stats["usage"].item() == pytest.approx(0.25)


def test_adaptive_weight_is_gradient_norm_ratio():
    w = torch.randn(3, 4, requires_grad=True)
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    weight = adaptive_weight((w * a).sum(), (w * b).sum(), w, disc_weight=0.8)
    assert weight.item() == pytest.approx((a.norm() / (b.norm() + 1e-4)).item() * 0.8, rel=1e-5)


def test_hinge_loss_by_hand():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    # relu(1−real) = [0, .5] → .25; relu(1+fake) = [0, 1] → .5; 0.5·(.25+.5)
    assert hinge_d_loss(real, fake).item() == pytest.approx(0.375)


@pytest.mark.parametrize("unit,step,epoch,active", [("batch", 9, 5, False), ("batch", 10, 0, True),
                                                    ("global_step", 9, 5, False), ("global_step", 10, 0, True),
                                                    ("epoch", 100, 1, False), ("epoch", 0, 2, True)])
def test_discriminator_warm_up(unit, step, epoch, active):
    loss = VQLPIPSWithDiscriminator(disc_start={"epoch": 2}.get(unit, 10), disc_start_unit=unit,
                                    disc_in_channels=1, disc_ndf=4, disc_num_layers=1)
    assert loss.disc_active(step, epoch) is active
    x, xrec = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16, requires_grad=True)
    last = nn.Parameter(torch.ones(1))
    g, logs = loss.generator_loss(x, xrec * last, torch.tensor(0.5), step, epoch, last)
    d, _ = loss.discriminator_loss(x, xrec, step, epoch)
    if active:
        assert "g_loss" in logs and logs["d_weight"] > 0 and d > 0
        expected = logs["nll"] + 0.5 + logs["d_weight"] * logs["g_loss"]
        assert g.item() == pytest.approx(expected.item(), rel=1e-5)
    else:
        assert "g_loss" not in logs and d.item() == 0.0
        assert g.item() == pytest.approx((x - xrec).abs().mean().item() + 0.5, rel=1e-5)


def test_lpips_fails_fast_offline_and_is_off_at_weight_zero(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert VQLPIPSWithDiscriminator(perceptual_weight=0.0).perceptual is None
    with pytest.raises(WeightsNotFoundError, match="vgg16-397923af.pth"):
        VQLPIPSWithDiscriminator(perceptual_weight=1.0)
    with pytest.raises(WeightsNotFoundError, match="configured path"):
        VQLPIPSWithDiscriminator(perceptual_weight=1.0, vgg_weights=str(tmp_path / "nope.pth"))


class TinyBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(4, 6, 3, stride=2, padding=1)

    def forward(self, x):
        h1 = torch.relu(self.a(x))
        return [h1, torch.relu(self.b(h1))]


def test_lpips_with_injected_backbone_and_shipped_linear_weights():
    assert [w.shape[1] for w in lpips_linear_weights()] == [64, 128, 256, 512, 512]
    torch.manual_seed(0)
    lp = LPIPS(backbone=TinyBackbone(), channels=[4, 6])
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    y = (x + 0.5 * torch.randn_like(x)).requires_grad_()
    assert torch.allclose(lp(x, x), torch.zeros(2), atol=1e-6)
    d = lp(x, y)
    assert (d > 0).all()
    d.sum().backward()
    assert y.grad.abs().sum() > 0


def test_encoder_decoder_shapes_reset_and_per_step_equivalence():
    torch.manual_seed(0)
    kw = {"ch": 8, "ch_mult": [1, 2, 2], "num_res_blocks": 1, "attn_resolutions": [8], "resolution": 16,
          "z_channels": 4}
    enc, dec = SnnEncoder(in_channels=2, **kw), SnnDecoder(out_channels=2, **kw)
    x = torch.randn(4, 2, 2, 16, 16)
    z = enc(x)
    assert z.shape == (4, 2, 4, 4, 4) and dec(z).shape == (4, 2, 2, 16, 16)
    assert torch.equal(enc(x), z)  # states were reset: same output again
    # the reference style (one Python call per time step, state carried) gives the same result
    per_step = torch.cat([enc._forward(x[t : t + 1]) for t in range(4)])
    enc(x[:1])  # reset
    assert torch.allclose(per_step, z, atol=1e-5)


def _tiny_vq(codebook="temporal", **kw):
    dd = {"in_channels": 2, "out_channels": 2, "ch": 8, "ch_mult": [1, 2], "num_res_blocks": 1,
          "attn_resolutions": [], "resolution": 16, "z_channels": 8}
    loss = {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator",
            "params": {"disc_in_channels": 2, "disc_ndf": 4, "disc_num_layers": 1, "disc_start": 100}}
    return SnnVQModel(dd, n_embed=16, embed_dim=8, time_steps=2, codebook=codebook, input_coding="bins",
                      output="frames", image_key="input", input_clip=1.0, crop=16, loss=loss, **kw)


@pytest.mark.parametrize("codebook", ["temporal", "vanilla"])
def test_vq_model_round_trip_shapes_and_event_panels(codebook):
    torch.manual_seed(0)
    m = _tiny_vq(codebook)
    batch = {"input": torch.randint(0, 3, (3, 2, 2, 18, 18)).float()}
    x = m.get_input(batch)
    assert x.shape == (3, 2, 2, 16, 16) and x.min() >= -1 and x.max() <= 1  # cropped, clipped
    xrec, _, info = m(x)
    assert xrec.shape == x.shape
    assert torch.allclose(m.decode_code(info["indices"]), xrec, atol=1e-5)
    panels = m.log_images(batch, max_images=2)
    assert panels["comparison_gif"].shape[:3] == (2, 2, 3) and panels["inputs"].shape == (2, 3, 16, 16)


def test_vq_model_learns_a_batch():
    torch.manual_seed(0)
    m = _tiny_vq()
    x = m.get_input({"input": (torch.rand(8, 2, 2, 16, 16) > 0.8).float()})
    opt = torch.optim.Adam([p for n, p in m.named_parameters() if not n.startswith("loss.")], lr=3e-3)
    losses = []
    for _ in range(25):
        xrec, q, _ = m(x)
        loss = (x - xrec).abs().mean() + q
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0] and math.isfinite(losses[-1])


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match="unknown codebook"):
        _tiny_vq("spatial")
    with pytest.raises(ValueError, match="expects"):
        TemporalQuantizer(8, 4, 2)(torch.randn(3, 1, 4, 2, 2))
    with pytest.raises(ValueError, match="bins"):
        encode_input(torch.randn(2, 3, 4, 4), "bins", 2)


def test_old_key_names_build_the_same_model_and_load_old_checkpoints(tmp_path, monkeypatch):
    """Saved runs name the network ``ddconfig`` and the loss ``lossconfig`` (config and
    checkpoint hyper-parameters): they build the same model, whose hparams use the new names."""
    import lightning.pytorch as pl
    from omegaconf import OmegaConf

    from spikevision import registry
    from spikevision.errors import ConfigError
    from spikevision.registry import instantiate_from_config
    from spikevision.stages import build_model, load_lightning_checkpoint

    monkeypatch.setattr(registry, "_WARNED_RENAMES", set())  # warned once per process: see it here
    new = _tiny_vq()
    params = dict(new.hparams)
    assert "network" in params and "loss" in params and "ddconfig" not in params
    old_params = {{"network": "ddconfig", "loss": "lossconfig"}.get(k, k): v for k, v in params.items()}
    old_node = {"target": "spikevision.models.vqvae.vqmodel.SnnVQModel", "params": old_params}
    with pytest.warns(DeprecationWarning):
        old = instantiate_from_config(old_node, key_path="model")  # the old module path, too
    assert type(old) is SnnVQModel and dict(old.hparams) == params
    assert list(old.state_dict()) == list(new.state_dict())
    ckpt = tmp_path / "last.ckpt"
    torch.save({"state_dict": new.state_dict(), "hyper_parameters": old_params,
                "pytorch-lightning_version": pl.__version__}, ckpt)
    loaded = load_lightning_checkpoint(SnnVQModel, ckpt)
    (tmp_path / "old.yaml").write_text(OmegaConf.to_yaml({"model": old_node}))
    built = build_model({"config": str(tmp_path / "old.yaml"), "ckpt": str(ckpt)})
    x = new.get_input({"input": torch.randint(0, 2, (2, 2, 2, 16, 16)).float()})
    for model in (loaded, built):
        assert dict(model.hparams) == params
        for a, b in zip(model.state_dict().values(), new.state_dict().values(), strict=True):
            assert torch.equal(a, b)
        assert torch.allclose(model.eval()(x)[0], new.eval()(x)[0])
    with pytest.raises(ConfigError, match="'ddconfig' is the old name of 'network'"):
        SnnVQModel(network=params["network"], ddconfig=params["network"])

