"""``main.py --dry-run``: every shipped run script's config stack builds and trains two steps at
batch 1 here (fake data, random stand-ins for absent weights and earlier stages), the report's
numbers, the fake items' structure, the memory verdict, and that no run directory is left behind.

Scripts are enumerated from ``train/stage_*/run_*.sh`` at collection time, so new ones are covered.
The paper-size stacks (a GPU profile) are many and slow on a CPU (a 90M-parameter VQ-VAE, a
380M-parameter prior); by default the last (by name) of each model class runs, marked slow, and the
others are skipped with a reason; ``SPIKEVISION_DRY_RUN_ALL=1`` runs every one (the full sweep,
docs/benchmarks.md). Fake inputs are cropped to 32×32 (``--dry-run-size``) to keep the suite short.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from spikevision.cli import dry_run as dr
from spikevision.cli.launch_scripts import launched, script_arguments
from spikevision.cli.train import run
from spikevision.registry import merge_configs

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((REPO / "train").glob("stage_*/run_*.sh"))
RUN_ALL = os.environ.get("SPIKEVISION_DRY_RUN_ALL") == "1"


def _paper_size(script: Path) -> tuple[bool, str]:
    cfg = merge_configs(launched(script)[1])  # the configs alone (no subprocess): profile and model
    trainer = cfg.get("lightning", {}).get("trainer", {}) or {}
    gpu = (str(trainer.get("accelerator", "auto")) in ("gpu", "cuda")
           or str(trainer.get("devices", 1)) not in ("1", "auto"))
    return gpu, str(cfg.model.target)


def _cases() -> list:
    cases, seen = [], set()
    for script in reversed(SCRIPTS):  # the last of each class by name: the cheaper event-data stacks
        paper, target = _paper_size(script)
        marks = []
        if paper:
            marks.append(pytest.mark.slow)
            if target in seen and not RUN_ALL:
                marks.append(pytest.mark.skip(reason=f"paper-size {target.rsplit('.', 1)[-1]} runs once per class; "
                                              "SPIKEVISION_DRY_RUN_ALL=1 runs every script"))
            seen.add(target)
        cases.append(pytest.param(script, marks=marks, id=script.stem))
    return cases[::-1]


@pytest.mark.parametrize("script", _cases())
def test_dry_run_of_every_shipped_script(script, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    logdir = tmp_path / "logs"
    report = run([*script_arguments(script), "-l", str(logdir), "--dry-run", "--dry-run-steps", "1",
                  "--dry-run-size", "32"])
    assert isinstance(report, dr.DryRunReport)
    assert report.parameters > 0 and report.trainable > 0
    assert len(report.step_seconds) == 1 and report.step_seconds[0] > 0, report
    assert report.state_bytes >= 4 * report.trainable  # at least the fp32 weights
    assert report.estimate_bytes >= report.state_bytes and not report.error
    printed = capsys.readouterr().out
    assert f"{report.parameters:,} parameters" in printed and "estimate at the configured batch" in printed
    assert not logdir.exists()  # no run directory


def _tiny_recon_config():
    return merge_configs([REPO / "tests" / "configs" / "tiny_recon.yaml"])


def test_dry_run_numbers_and_estimate(tmp_path):
    config = _tiny_recon_config()
    lines: list[str] = []
    report = dr.dry_run(config, batch=2, steps=2, printer=lines.append)
    assert report.batch == 2 and report.configured_batch == 8 and len(report.step_seconds) == 2
    params = sum(p.numel() for p in dr.instantiate_from_config(config.model).parameters())
    assert report.parameters == params
    # weights + gradients + Adam's two moments, all fp32
    assert report.state_bytes == 4 * 4 * params
    assert report.saved_bytes_per_sample > 0
    assert report.estimate_bytes == int(report.state_bytes + report.saved_bytes_per_sample * 8)
    assert report.fits and any("fits this cpu" in ln for ln in lines)
    assert report.stand_ins == []  # N-Digits is embedded: the real pipeline ran


def test_estimate_beyond_the_machine_is_reported_not_run(monkeypatch):
    monkeypatch.setattr(dr, "machine_memory", lambda device: 1024)
    lines: list[str] = []
    report = dr.dry_run(_tiny_recon_config(), printer=lines.append)
    assert not report.fits
    assert any("does NOT fit this cpu" in ln and "at least" in ln for ln in lines)


@pytest.mark.parametrize("target, params, expected", [
    ("spikevision.data.nmnist.NMNIST", {"root": "x"}, {"input": (4, 2, 34, 34)}),
    ("spikevision.data.nmnist.NMNIST", {"root": "x", "size": [64, 64], "representation": {"num_bins": 6}},
     {"input": (6, 2, 64, 64)}),
    ("spikevision.data.cifar10dvs.CIFAR10DVS", {"root": "x"}, {"input": (4, 2, 128, 128)}),
    ("spikevision.data.ncaltech101.NCaltech101", {"root": "x", "image_root": "y", "size": [48, 64]},
     {"input": (4, 2, 48, 64), "image": (1, 48, 64)}),
    ("spikevision.data.uhsr.UHSR", {"root": "x", "num_bins": 50}, {"input": (50, 1, 224, 224), "image": (1, 224, 224)}),
    ("spikevision.data.celeba.CelebA", {"root": "x", "size": 32}, {"input": (3, 32, 32), "image": (3, 32, 32)}),
    ("spikevision.data.stereo_folders.KITTIStereo2015", {"root": "x"}, {"left": (3, 128, 128), "right": (3, 128, 128)}),
    ("spikevision.data.stereo_folders.CityscapesStereo", {"root": "x"}, {"left": (3, 128, 256)}),
])
def test_fake_items_have_the_real_classes_structure(target, params, expected):
    """Shapes as the dataset contract tests (tests/test_dataset_contract.py) find them on real files."""
    item, labels = dr.fake_item(target, params)
    for key, shape in expected.items():
        assert tuple(item[key].shape) == shape and item[key].dtype == torch.float32
    if "input" in item:
        assert {"label", "label_name", "index"} <= set(item) and labels
    fake = dr.FakeDataset(item, length=3, label_names=labels)
    a, b = fake[0], fake[1]
    assert {k: tuple(v.shape) for k, v in a.items() if torch.is_tensor(v)} == \
           {k: tuple(v.shape) for k, v in item.items() if torch.is_tensor(v)}
    assert not torch.equal(a[next(iter(expected))], b[next(iter(expected))])  # random, per index
    assert torch.equal(fake[0][next(iter(expected))], a[next(iter(expected))])  # and reproducible


def test_shrink_crops_images_only():
    item = {"input": torch.zeros(4, 2, 64, 80), "image": torch.zeros(1, 64, 80), "label": 3}
    small = dr.shrink(item, 32)
    assert small["input"].shape == (4, 2, 32, 32) and small["image"].shape == (1, 32, 32) and small["label"] == 3
