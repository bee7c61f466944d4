"""Hardware profiles: each stacks on a family and builds the Trainer arguments it names; the
multi-node profile takes its node count from the SLURM allocation."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from spikevision.registry import merge_configs

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO / "train"


@pytest.mark.parametrize("profile", sorted((TRAIN / "profiles").glob("*.yaml")), ids=lambda p: p.stem)
def test_profile_sets_hardware_only(profile):
    cfg = OmegaConf.load(profile)
    assert set(cfg) <= {"lightning", "data"}
    assert set(cfg.lightning) == {"trainer"} and set(cfg.data) == {"params"}
    assert set(cfg.data.params) == {"num_workers"}


def test_multinode_profile_follows_the_allocation(monkeypatch):
    stack = [TRAIN / "base/snn_vqvae.yaml", TRAIN / "data/nmnist.yaml", TRAIN / "profiles/slurm_multinode.yaml"]
    monkeypatch.delenv("SLURM_JOB_NUM_NODES", raising=False)
    assert merge_configs(stack).lightning.trainer.num_nodes == 2
    monkeypatch.setenv("SLURM_JOB_NUM_NODES", "4")
    trainer = merge_configs(stack).lightning.trainer
    assert trainer.num_nodes == 4 and trainer.devices == 4
    # the VQ-GAN's idle discriminator needs find_unused_parameters under DDP; the 4-GPU profile reads it
    assert merge_configs([*stack[:2], TRAIN / "profiles/gpu4_ddp.yaml"]).lightning.trainer.strategy == \
        "ddp_find_unused_parameters_true"
    assert merge_configs([TRAIN / "base/snn_recon.yaml", TRAIN / "data/ucifar.yaml",
                          TRAIN / "profiles/gpu4_ddp.yaml"]).lightning.trainer.strategy == "ddp"
