"""The stage hand-off (spikevision.stages): references → one concrete path, saved as such;
clear errors for weights that do not fit; the best checkpoint handed on."""

from __future__ import annotations

import logging
import types
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from spikevision.errors import CheckpointMismatchError, CheckpointNotFoundError, ConfigError
from spikevision.stages import (
    best_weights,
    load_matching_state,
    model_config,
    resolve_handoffs,
    resolve_reference,
)

LINEAR = {"target": "torch.nn.Linear", "params": {"in_features": 2, "out_features": 1}}


def _fake_run(logs: Path, name: str) -> Path:
    run = logs / name
    (run / "configs").mkdir(parents=True)
    (run / "checkpoints").mkdir()
    OmegaConf.save({"model": LINEAR}, run / "configs" / "t-project.yaml")
    torch.save({"state_dict": torch.nn.Linear(2, 1).state_dict()}, run / "checkpoints" / "last.ckpt")
    return run


def test_glob_handoff_is_saved_as_the_concrete_run(tmp_path):
    from spikevision.callbacks import SetupRun

    logs = tmp_path / "logs"
    _fake_run(logs, "2026-01-01T00-00-00_snn_vqvae_x")
    first = _fake_run(logs, "2026-01-02T00-00-00_snn_vqvae_x")
    config = OmegaConf.create({"model": {"params": {"first_stage": {"run": f"{logs}/*_snn_vqvae_x"}}}})
    assert resolve_handoffs(config) == {"model.params.first_stage.run": str(first)}
    stage2 = tmp_path / "stage2"
    setup, trainer = SetupRun(str(stage2), config, "t"), types.SimpleNamespace(global_rank=0)
    setup.setup(trainer, None, "fit")
    assert not (stage2 / "configs" / "t-project.yaml").exists()  # written once training starts
    setup.on_train_start(trainer, None)
    _fake_run(logs, "2026-01-03T00-00-00_snn_vqvae_x")  # a newer stage-1 run matching the glob
    saved = OmegaConf.load(stage2 / "configs" / "t-project.yaml")
    assert saved.model.params.first_stage.run == str(first)  # resume/sampling still see the first
    assert model_config(saved.model.params.first_stage)[1] == first / "checkpoints" / "last.ckpt"
    # concrete paths are left alone; a glob matching nothing names the key
    assert resolve_handoffs(OmegaConf.create({"model": {"params": {"coarse": "a/b.pt"}}})) == {}
    with pytest.raises(CheckpointNotFoundError, match="model.params.prompts"):
        resolve_handoffs(OmegaConf.create({"model": {"params": {"prompts": f"{tmp_path}/*.pt"}}}))


def test_reference_kinds(tmp_path):
    run = _fake_run(tmp_path, "2026-01-01T00-00-00_a")
    (tmp_path / "x.pt").write_bytes(b"")
    assert resolve_reference(run, "dir") == run
    assert resolve_reference(tmp_path / "*.pt", "file") == tmp_path / "x.pt"
    with pytest.raises(CheckpointNotFoundError, match="no run directory"):
        resolve_reference(tmp_path / "x.pt", "dir", "run")


def test_mismatching_weights_name_the_file_and_first_key(tmp_path):
    ckpt = tmp_path / "w.ckpt"
    torch.save({"state_dict": {"weight": torch.zeros(1, 2)}}, ckpt)
    with pytest.raises(CheckpointMismatchError, match=r"w\.ckpt.*missing 'bias'") as err:
        load_matching_state(torch.nn.Linear(2, 1), ckpt)
    assert isinstance(err.value, ConfigError)
    torch.save({"state_dict": {"weight": torch.zeros(3, 2), "bias": torch.zeros(3)}}, ckpt)
    with pytest.raises(CheckpointMismatchError, match=r"'weight' has shape \(3, 2\)"):
        load_matching_state(torch.nn.Linear(2, 1), ckpt)
    torch.save({"state_dict": {**torch.nn.Linear(2, 1).state_dict(), "extra": torch.zeros(1)}}, ckpt)
    with pytest.raises(CheckpointMismatchError, match="unexpected 'extra'"):
        load_matching_state(torch.nn.Linear(2, 1), ckpt)


def test_best_weights_hand_on_the_best_checkpoint_then_restore(tmp_path, caplog):
    model = torch.nn.Linear(2, 1)
    final = {k: v.clone() for k, v in model.state_dict().items()}
    best = {k: torch.full_like(v, 7.0) for k, v in final.items()}
    torch.save({"state_dict": best}, tmp_path / "best.ckpt")
    cb = types.SimpleNamespace(monitor="val/x", best_model_path=str(tmp_path / "best.ckpt"))
    with best_weights(model, types.SimpleNamespace(checkpoint_callback=cb)) as used:
        assert used == tmp_path / "best.ckpt" and torch.all(model.weight == 7)
    assert torch.equal(model.weight, final["weight"])
    no_val = types.SimpleNamespace(checkpoint_callback=types.SimpleNamespace(monitor=None, best_model_path=""))
    with caplog.at_level(logging.INFO, logger="spikevision.stages"):
        with best_weights(model, no_val) as used:
            assert used is None and torch.equal(model.weight, final["weight"])
    assert "final weights" in caplog.text


def test_frozen_stage_stays_frozen_in_train_mode():
    """The one frozen-stage base: no gradients, eval mode kept by train() (BatchNorm stats fixed)."""
    import lightning.pytorch as pl
    import torch

    from spikevision.models.frozen_stage import FrozenStage

    class Later(FrozenStage, pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.freeze_stage("earlier", torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3)))
            self.head = torch.nn.Linear(3, 1)

    m = Later().train()
    assert not m.earlier.training and m.head.training
    assert not any(p.requires_grad for p in m.earlier.parameters())
    before = m.earlier[1].running_mean.clone()
    m.earlier(torch.randn(8, 3))
    assert torch.equal(m.earlier[1].running_mean, before)
    from spikevision.models.spikeclip.stage_base import FrozenPreviousStage
    from spikevision.models.transformer import SnnTransformerModel

    assert issubclass(FrozenPreviousStage, FrozenStage) and issubclass(SnnTransformerModel, FrozenStage)
