"""Stage 1 under a real Trainer: the discriminator's switch-on batch (the reference's clocks), the
codebook usage of a whole validation epoch (summed over ranks, TensorBoard histogram) and the
dead-code restart."""

from __future__ import annotations

import contextlib
import math

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from spikevision.losses.vqperceptual import VQLPIPSWithDiscriminator
from spikevision.models.vqvae import TemporalQuantizer, VanillaQuantizer
from test_vqvae import _tiny_vq

N_E = 16  # _tiny_vq's codebook; its 16×16 crop → 8×8 code grid


def _loader(n_batches: int, batch_size: int = 2, seed: int = 0) -> DataLoader:
    g = torch.Generator().manual_seed(seed)
    items = [{"input": (torch.rand(2, 2, 16, 16, generator=g) > 0.7).float()}
             for _ in range(n_batches * batch_size)]
    return DataLoader(items, batch_size=batch_size)


def _trainer(**kw) -> pl.Trainer:
    kw = {"logger": False, **kw}
    return pl.Trainer(accelerator="cpu", devices=1, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, num_sanity_val_steps=0, **kw)


# ----------------------------------------------------------------------------- disc_start clocks


def _switch_on_batches(model, n_batches: int) -> tuple[int, int]:
    """(first batch whose generator loss has the GAN term, first batch the discriminator trains)."""
    gen, disc = [], []
    g_loss, d_loss = model.loss.generator_loss, model.loss.discriminator_loss

    def spy_g(*a, **k):
        loss, logs = g_loss(*a, **k)
        if model.training:
            gen.append("g_loss" in logs)
        return loss, logs

    def spy_d(*a, **k):
        disc.append(model.batches_seen)
        return d_loss(*a, **k)

    model.loss.generator_loss, model.loss.discriminator_loss = spy_g, spy_d
    _trainer(max_steps=2 * n_batches, limit_val_batches=0).fit(model, _loader(n_batches))
    assert len(gen) == n_batches and model.global_step == 2 * n_batches
    return gen.index(True), disc[0]


@pytest.mark.parametrize("unit,start,first_gen,first_disc", [
    ("global_step", 7, 4, 3),  # autoencoder at global_step 2b ≥ 7 → b = 4; discriminator at 2b + 1 → b = 3
    ("global_step", 8, 4, 4),
    ("batch", 3, 3, 3),
    ("step", 3, 3, 3),  # the old name of batch
])
def test_disc_start_switch_on_batch(unit, start, first_gen, first_disc):
    torch.manual_seed(0)
    model = _tiny_vq()
    with pytest.warns(DeprecationWarning, match="old name") if unit == "step" else contextlib.nullcontext():
        model.loss = VQLPIPSWithDiscriminator(disc_start=start, disc_start_unit=unit, disc_in_channels=2,
                                              disc_ndf=4, disc_num_layers=1)
    assert _switch_on_batches(model, 6) == (first_gen, first_disc)


def test_paper_disc_start_is_the_reference_batch():
    """The reference compares ``global_step`` (two optimizer steps per batch) with 30001: its
    discriminator trains from batch 15,000, as our configs' 15000 batches (the generator's GAN term
    follows one batch later in the reference)."""
    def first(loss, clock):
        return next(b for b in range(14990, 15010) if loss.disc_active(clock(b), 0, b))

    kw = {"disc_in_channels": 1, "disc_ndf": 4, "disc_num_layers": 1}
    reference = VQLPIPSWithDiscriminator(disc_start=30001, disc_start_unit="global_step", **kw)
    ours = VQLPIPSWithDiscriminator(disc_start=15000, disc_start_unit="batch", **kw)
    assert first(reference, lambda b: 2 * b + 1) == first(ours, lambda b: 2 * b + 1) == 15000
    assert first(reference, lambda b: 2 * b) == 15001 and first(ours, lambda b: 2 * b) == 15000
    with pytest.raises(ValueError, match="disc_start_unit"):
        VQLPIPSWithDiscriminator(disc_start_unit="steps")


# ----------------------------------------------------------------------------- codebook usage

SCRIPT = [  # hand-made code maps per validation batch ([B=2, 8, 8]); union {0, 1, 2, 3, 4, 15}
    lambda: torch.tensor([0, 1]).repeat(64).view(2, 8, 8),
    lambda: torch.tensor([2, 3, 4, 2]).repeat(32).view(2, 8, 8),
    lambda: torch.cat([torch.full((127,), 1), torch.tensor([15])]).view(2, 8, 8),
]


def _scripted(model):
    """Make the quantizer return SCRIPT's codes, batch after batch."""
    calls = iter(range(10 ** 6))
    model.quantize.search = lambda z: SCRIPT[next(calls) % len(SCRIPT)]()
    return model


def _perplexity(counts: np.ndarray) -> float:
    p = counts / counts.sum()
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def test_codebook_usage_is_measured_over_the_whole_validation_epoch(tmp_path):
    from lightning.pytorch.loggers import TensorBoardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    torch.manual_seed(0)
    model = _scripted(_tiny_vq())
    logger = TensorBoardLogger(str(tmp_path), name="tb", version="v")
    metrics = _trainer(logger=logger).validate(model, _loader(3), verbose=False)[0]
    counts = np.zeros(N_E)
    for make in SCRIPT:
        counts += np.bincount(make().flatten().numpy(), minlength=N_E)
    assert metrics["val/codebook_usage"] == pytest.approx(6 / 16)  # per batch it was 2/16, 3/16, 2/16
    assert metrics["val/codebook_perplexity"] == pytest.approx(_perplexity(counts), rel=1e-5)
    logger.experiment.flush()
    events = EventAccumulator(str(tmp_path / "tb" / "v"), size_guidance={"histograms": 0}).Reload()
    histo = events.Histograms("val/code_indices")[-1].histogram_value
    assert list(histo.bucket) == counts.tolist() and histo.num == counts.sum() == 3 * 128
    assert (histo.min, histo.max) == (0, 15)
    # a second epoch starts from zero again
    again = _trainer().validate(model, _loader(1), verbose=False)[0]
    assert again["val/codebook_usage"] == pytest.approx(2 / 16)


def test_codebook_counts_are_summed_over_ranks(monkeypatch):
    """The epoch's histogram goes through the strategy's sum reduction before the statistics:
    here a stand-in for a second rank that used codes 5 and 6 once each."""
    torch.manual_seed(0)
    model = _scripted(_tiny_vq())
    trainer = _trainer()
    other_rank = torch.zeros(N_E, dtype=torch.long)
    other_rank[[5, 6]] = 1
    ops = []

    def reduce(tensor, *args, reduce_op="mean", **kw):
        if isinstance(tensor, torch.Tensor) and tensor.shape == (N_E,) and tensor.dtype == torch.long:
            ops.append(reduce_op)
            return tensor + other_rank
        return tensor  # Lightning's own reductions (one process)

    monkeypatch.setattr(trainer.strategy, "reduce", reduce)
    metrics = trainer.validate(model, _loader(3), verbose=False)[0]
    assert "sum" in ops
    assert metrics["val/codebook_usage"] == pytest.approx(8 / 16)


# ----------------------------------------------------------------------------- dead-code restart


@pytest.mark.parametrize("cls", [TemporalQuantizer, VanillaQuantizer])
def test_restart_moves_only_dead_codes_to_encoder_outputs(cls):
    torch.manual_seed(0)
    q = cls(8, 3, 2)
    before = q.embedding.weight.detach().clone()
    z = torch.randn(2, 4, 3, 2, 2)  # [T, B, C, H, W]
    dead = torch.zeros(8, dtype=torch.bool)
    dead[[1, 6]] = True
    moved = q.restart_codes(dead, z)
    after = q.embedding.weight.detach()
    assert moved.tolist() == [1, 6]
    assert torch.equal(after[~dead], before[~dead])
    flat = q.flat_latents(z)
    for code in (1, 6):  # each restarted code is one of the batch's latent vectors
        assert (flat == after[code]).all(1).any()
    assert q.restart_codes(torch.zeros(8, dtype=torch.bool), z).numel() == 0
    assert torch.equal(q.embedding.weight.detach(), after)


def test_dead_code_restart_in_training_moves_only_codes_unused_in_the_window():
    """learning_rate 0: only the restart changes the codebook; codes used in the 2-batch window stay."""
    torch.manual_seed(0)
    model = _tiny_vq(learning_rate=0.0, dead_code_restart={"enabled": True, "threshold": 1, "every_n_batches": 2})
    used, latents = [], []
    forward = model.quantize.forward

    def spy(z):
        out = forward(z)
        if model.training:
            used.append(out[2]["indices"].flatten())
            latents.append(model.quantize.flat_latents(z.detach()))
        return out

    model.quantize.forward = spy
    before = model.quantize.embedding.weight.detach().clone()
    _trainer(max_steps=4, limit_val_batches=0).fit(model, _loader(2))
    after = model.quantize.embedding.weight.detach()
    live = torch.zeros(N_E, dtype=torch.bool)
    live[torch.cat(used)] = True
    assert 0 < int(live.sum()) < N_E
    assert torch.equal(after[live], before[live])
    assert not torch.isclose(after[~live], before[~live]).all(1).any()
    for code in (~live).nonzero().flatten():  # from the last batch's encoder outputs
        assert torch.isclose(latents[-1], after[code]).all(1).any()
    with pytest.raises(ValueError, match="dead_code_restart"):
        _tiny_vq(dead_code_restart={"enable": True})
    assert not _tiny_vq().dead_code_restart["enabled"]
    assert math.isfinite(float(after.sum()))


class RankScriptedSearch:
    """Picklable stand-in for the quantizer's search: rank 0 uses codes {0, 1}, rank 1 code 7."""

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        codes = torch.tensor([0, 1]) if rank == 0 else torch.tensor([7])
        return codes.repeat(z.shape[1] * 64 // codes.numel()).view(z.shape[1], 8, 8)


@pytest.mark.slow
def test_codebook_usage_sums_two_real_ranks():
    """Two CPU processes (gloo): each rank sees its own codes; the logged usage is their union."""
    torch.manual_seed(0)
    model = _tiny_vq()
    model.quantize.search = RankScriptedSearch()
    trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp_spawn", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    metrics = trainer.validate(model, _loader(2), verbose=False)[0]
    assert metrics["val/codebook_usage"] == pytest.approx(3 / 16)  # rank 0 alone: 2/16
