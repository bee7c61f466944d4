"""SpikeCLIP stages 0–3 end to end through main.py on N-Digits at test size (the real configs,
shrunk by overrides), then combine and evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import imageio
import pytest

from spikevision.cli.launch_scripts import script_arguments
from spikevision.cli.train import run

REPO = Path(__file__).resolve().parents[1]
TINY_TRAINER = [
    "lightning.trainer.accelerator=cpu", "lightning.trainer.max_epochs=1", "lightning.trainer.max_steps=3",
    "lightning.trainer.log_every_n_steps=1", "lightning.trainer.num_sanity_val_steps=0",
    "lightning.trainer.enable_progress_bar=false", "lightning.trainer.enable_model_summary=false",
    "lightning.trainer.limit_val_batches=1", "lightning.trainer.limit_test_batches=1",
    "data.params.batch_size=16",
]
TINY_DATA = [f"data.params.{s}.params.limit={n}" for s, n in (("train", 48), ("validation", 16), ("test", 16))]
TINY_NET = ["model.params.network.params.ch=4", "model.params.network.params.ch_mult=[1,2]",
            "model.params.time_steps=4"]


def train(script: str, logdir: Path, *extra: str):
    """Train what ``train/<script>`` launches, shortened by our overrides (they win)."""
    return run([*script_arguments(script), "-l", str(logdir), *TINY_TRAINER, *TINY_DATA, *extra])


def losses(logdir: Path, key: str = "train/loss") -> list[float]:
    import csv

    rows = list(csv.DictReader(open(next(logdir.glob("csv/*/metrics.csv")))))
    return [float(r[key]) for r in rows if r.get(key)]


@pytest.mark.slow
def test_stages_0_to_3_combine_infer_evaluate(tmp_path):
    art = f"artifacts={tmp_path / 'art'}"
    logs = tmp_path / "logs"
    s0 = train("stage_0/run_spikeclip_clip_ndigits.sh", logs, art, "model.params.model_name=spikevision-tiny",
               "lightning.trainer.max_steps=10", "data.params.train.params.limit=160",
               "model.base_learning_rate=1e-4")
    first, last = losses(s0.logdir)[:3], losses(s0.logdir)[-3:]
    assert sum(last) < sum(first)  # the contrastive loss falls
    assert (tmp_path / "art" / "stage0_clip.pt").is_file()
    assert (s0.logdir / "curves" / "training_curves.png").is_file()
    assert "test/zero_shot_acc" in s0.test_metrics

    clip = ["model.params.clip.model_name=spikevision-tiny"]
    s1 = train("stage_1/run_spikeclip_ndigits.sh", logs, art, *clip, *TINY_NET)
    assert {"val/clip_acc", "val/psnr"} <= set(s1.validate_after)
    assert losses(s1.logdir, "train/class_loss")

    s2 = train("stage_2/run_spikeclip_prompt_ndigits.sh", logs, art)
    assert {"val/hq_acc", "val/lq_acc", "val/hq_lq_acc"} <= set(s2.validate_after)
    trainable = [n for n, p in s2.model.named_parameters() if p.requires_grad]
    assert trainable == ["prompts.ctx"]

    s3 = train("stage_3/run_spikeclip_ndigits.sh", logs, art)
    assert "val/p_hq" in s3.validate_after and losses(s3.logdir, "train/prompt_loss")
    s3b = train("stage_3/run_spikeclip_refine_ndigits.sh", logs, art)
    assert "val/identity_loss" in s3b.validate_after
    for name in ("stage1_recon", "stage2_prompts", "stage3_recon", "stage3_refiner"):
        assert (tmp_path / "art" / f"{name}.pt").is_file()

    from spikevision.cli.spikeclip_combine import run as combine
    from spikevision.cli.spikeclip_evaluate import run as evaluate

    combined = combine(["--artifacts", str(tmp_path / "art")])
    result = evaluate([str(combined), "--config", str(REPO / "train/stage_1/run_spikeclip_ndigits.sh"),
                       "--limit", "8", "-o", str(tmp_path / "eval"), art, *clip])
    methods = result["methods"]
    assert set(methods) == {"stage1", "stage3", "refined"}
    for m in methods.values():
        assert {"psnr", "ssim", "niqe", "clip_acc", "p_hq"} <= set(m) and 0 <= m["clip_acc"] <= 1
    table = (tmp_path / "eval" / "metrics.md").read_text()
    assert "| stage1 |" in table and "PSNR" in table
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["samples"] == 8
    figure = imageio.v3.imread(tmp_path / "eval" / "comparison.png")
    assert figure.ndim == 3 and figure.shape[1] > figure.shape[0] / 2  # 5 titled columns of 8 rows
