"""Stage 2: the spiking GPT prior — causality, exact KV cache, sampling filters, optimizer groups."""

from __future__ import annotations

import pytest
import torch

from spikevision.models.transformer import SnnGPT
from spikevision.sample.tokens import filter_logits, sample_tokens


def _gpt(softmax: bool, **kw) -> SnnGPT:
    torch.manual_seed(0)
    params = {"vocab_size": 32, "block_size": 40, "n_layer": 2, "n_head": 2, "n_embd": 32, "time_steps": 3,
              "n_cond": 2, "softmax": softmax, **kw}
    return SnnGPT(**params).eval()


@pytest.mark.parametrize("softmax", [False, True])
def test_changing_a_later_token_leaves_earlier_logits_unchanged(softmax):
    m = _gpt(softmax)
    idx = torch.randint(0, 32, (2, 12))
    changed = idx.clone()
    changed[:, 7] = (idx[:, 7] + 5) % 32
    a, _ = m(idx)
    b, _ = m(changed)
    assert torch.equal(a[:, :7], b[:, :7])
    assert not torch.allclose(a[:, 7:], b[:, 7:])


@pytest.mark.parametrize("softmax", [False, True])
def test_cached_logits_equal_full_recomputation(softmax):
    m = _gpt(softmax)
    idx = torch.randint(0, 32, (3, 15))
    full, _ = m(idx)
    logits, past = m(idx[:, :5])
    steps = [logits]
    for i in range(5, 15):
        logits, past = m(idx[:, i : i + 1], past)
        steps.append(logits)
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)
    assert past[0][0].shape == (3, 3, 2, 15, 16)  # per-step K: [T, B, heads, L, d], not T-averaged


@pytest.mark.parametrize("softmax,top_k,top_p", [(False, None, None), (True, 8, None), (False, None, 0.9)])
def test_cached_sampling_gives_identical_tokens(softmax, top_k, top_p):
    m = _gpt(softmax)
    cond = torch.tensor([[32], [33]])
    out = [sample_tokens(m, cond, 30, 1.0, top_k, top_p, use_cache=c, generator=torch.Generator().manual_seed(3))
           for c in (True, False)]
    assert out[0].shape == (2, 30) and torch.equal(out[0], out[1])
    assert out[0].max() < 32  # condition tokens are never sampled


def test_filter_logits_top_k_and_top_p_by_hand():
    logits = torch.log(torch.tensor([[0.5, 0.1, 0.3, 0.1]]))
    k2 = filter_logits(logits, top_k=2)
    assert torch.isinf(k2).tolist() == [[False, True, False, True]]
    p = filter_logits(logits, top_p=0.7)  # 0.5 + 0.3 reaches 0.7 → keep two
    assert torch.isinf(p).tolist() == [[False, True, False, True]]
    p1 = filter_logits(logits, top_p=0.4)  # the top token alone
    assert torch.isinf(p1).tolist() == [[False, True, True, True]]
    assert torch.equal(filter_logits(logits), logits)


def test_block_size_is_enforced():
    with pytest.raises(ValueError, match="block_size"):
        _gpt(False)(torch.zeros(1, 41, dtype=torch.long))


def test_prior_learns_a_fixed_sequence():
    m = _gpt(False).train()
    seq = torch.randint(0, 32, (4, 16))
    inp = torch.cat([torch.full((4, 1), 32), seq[:, :-1]], 1)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        logits, _ = m(inp)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 32), seq.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < 0.5 * first


def _prior(codebook="temporal", conditional=False):
    from spikevision.models.transformer import SnnTransformerModel

    stage1 = {"target": "spikevision.models.vqvae.SnnVQModel", "params": {
        "network": {"in_channels": 2, "out_channels": 2, "ch": 4, "ch_mult": [1, 2], "num_res_blocks": 1,
                    "attn_resolutions": [], "resolution": 16, "z_channels": 4},
        "n_embed": 8, "embed_dim": 4, "time_steps": 2, "codebook": codebook, "input_coding": "bins",
        "output": "frames", "image_key": "input", "input_clip": 1.0, "crop": 16,
        "loss": {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator",
                 "params": {"disc_in_channels": 2, "disc_ndf": 4, "disc_num_layers": 1}}}}
    gpt = {"target": "spikevision.models.transformer.SnnGPT", "params": {"n_layer": 1, "n_head": 2, "n_embd": 16}}
    torch.manual_seed(0)
    return SnnTransformerModel(gpt, stage1, conditional=conditional, n_classes=3).eval()


def test_prior_module_weight_decay_on_linear_weights_only():
    m = _prior()
    decay, no_decay = (g["params"] for g in m.configure_optimizers().param_groups)
    linear_weights = {id(mod.weight) for mod in m.transformer.modules() if isinstance(mod, torch.nn.Linear)}
    assert {id(p) for p in decay} == linear_weights
    assert id(m.transformer.pos_emb) in {id(p) for p in no_decay}
    assert id(m.transformer.tok_emb.weight) in {id(p) for p in no_decay}
    assert all(not p.requires_grad for p in m.first_stage.parameters())


def test_prior_module_temporal_vs_vanilla_and_conditional_sampling():
    m = _prior()
    assert m.code_shape == (8, 8) and m.sample_codes(2).shape == (2, 8, 8)
    frames = m.decode_codes(m.sample_codes(2, code_shape=(4, 4)))
    assert frames.shape == (2, 2, 2, 8, 8) and 0 <= frames.min() and frames.max() <= 1
    vanilla = _prior("vanilla")
    assert vanilla.sample_codes(2).shape == (2, 2, 8, 8)  # T independent code maps
    cond = _prior(conditional=True)
    assert cond.cond_tokens(2, torch.tensor([0, 2])).tolist() == [[8], [10]]
    with pytest.raises(ValueError, match="labels"):
        cond.cond_tokens(1, torch.tensor([3]))
    batch = {"input": torch.rand(4, 2, 2, 16, 16), "label": torch.tensor([0, 1, 2, 0])}
    assert cond._loss(batch).item() > 0


def test_old_names_build_the_same_prior(tmp_path, monkeypatch):
    """A saved stage-2 run names ``spikevision.models.prior.SnnTransformerPrior`` with a
    ``transformer_config`` and a first stage with ``ddconfig``/``lossconfig``: it builds the same
    model (same weights and samples), and its checkpoint's old hyper-parameters load."""
    import copy
    import warnings

    import lightning.pytorch as pl

    from spikevision import registry
    from spikevision.models.transformer import SnnTransformerModel
    from spikevision.registry import instantiate_from_config
    from spikevision.stages import load_lightning_checkpoint

    monkeypatch.setattr(registry, "_WARNED_RENAMES", set())
    new = _prior()
    params = copy.deepcopy(dict(new.hparams))
    old_params = {"transformer_config" if k == "network" else k: v for k, v in copy.deepcopy(params).items()}
    old_stage1 = old_params["first_stage"]["params"]
    old_stage1["ddconfig"], old_stage1["lossconfig"] = old_stage1.pop("network"), old_stage1.pop("loss")
    torch.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = instantiate_from_config({"target": "spikevision.models.prior.SnnTransformerPrior",
                                       "params": old_params}, key_path="model").eval()
    assert {str(w.message).split(" (")[0] for w in caught if w.category is DeprecationWarning} == {
        "SnnTransformerModel: 'transformer_config' is now called 'network'",
        "SnnVQModel: 'ddconfig' is now called 'network'", "SnnVQModel: 'lossconfig' is now called 'loss'"}
    assert type(old) is SnnTransformerModel and old.hparams["network"] == params["network"]
    for a, b in zip(old.state_dict().values(), new.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    gen = [torch.Generator().manual_seed(1) for _ in range(2)]
    assert torch.equal(old.sample_codes(2, generator=gen[0]), new.sample_codes(2, generator=gen[1]))
    ckpt = tmp_path / "last.ckpt"
    torch.save({"state_dict": new.state_dict(), "hyper_parameters": old_params,
                "pytorch-lightning_version": pl.__version__}, ckpt)
    loaded = load_lightning_checkpoint(SnnTransformerModel, ckpt)
    assert "transformer_config" not in loaded.hparams and loaded.code_shape == new.code_shape
    from spikevision.models.prior import SnnGPT as OldGPT  # the old module still imports
    from spikevision.models.transformer.gpt import BlockSnn, SnnBlock

    assert OldGPT is SnnGPT and BlockSnn is SnnBlock
