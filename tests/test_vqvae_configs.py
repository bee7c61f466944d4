"""Every generation config builds: stage-1 models and data modules (with a fake data root),
stage-2 transformers (on the meta device: no memory for the full-size GPT), sample configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from spikevision.cli.launch_scripts import launched, merged_config
from spikevision.losses.pretrained import WeightsNotFoundError
from spikevision.registry import instantiate_from_config, load_config

REPO = Path(__file__).resolve().parents[1]
STAGE1 = sorted((REPO / "train/stage_1").glob("run_snn_vqvae_*.sh"))
STAGE2 = sorted((REPO / "train/stage_2").glob("run_snn_transformer_*.sh"))
DATASETS = ["ndigits", "ndigits_image", "nmnist", "cifar10dvs", "celeba"]  # with both codebook variants
# seed 002's experiment table: total batch, epochs, time steps, disc_start (value, unit)
TABLE = {
    "celeba": (64, 100, 4, (15000, "batch")),  # the table's 30001 steps of global_step (2 per batch)
    "lsun_bedroom": (32, 30, 6, (15000, "batch")),
    "mnist": (128, 100, 4, (10, "epoch")),
    "fashionmnist": (128, 100, 4, (10, "epoch")),
    "cifar10": (128, 200, 4, (50, "epoch")),
    "nmnist": (64, 100, 4, (5, "epoch")),
    "cifar10dvs": (64, 200, 4, (50, "epoch")),
}


def test_every_table_dataset_has_both_stages():
    for ds in TABLE:
        for stage, stem in (("stage_1", "snn_vqvae"), ("stage_2", "snn_transformer")):
            script = REPO / f"train/{stage}/run_{stem}_{ds}.sh"
            assert script.is_file() and launched(script)[0] == f"{stem}_{ds}"
        assert merged_config([REPO / f"train/stage_2/run_snn_transformer_{ds}.sh"]).model.params.first_stage.run \
            == f"logs/*_snn_vqvae_{ds}"


def test_every_dataset_has_both_codebook_variants_and_scripts():
    for ds in DATASETS:
        for stage, stem in (("stage_1", "snn_vqvae"), ("stage_2", "snn_transformer")):
            for variant in ("", "_vanilla"):
                script = REPO / f"train/{stage}/run_{stem}_{ds}{variant}.sh"
                assert script.is_file() and script.stat().st_mode & 0o111, script
                assert launched(script)[0] == f"{stem}_{ds}{variant}"
    assert load_config(REPO / "train/base/snn_vqvae_vanilla.yaml").model.params.codebook == "vanilla"
    for ds in DATASETS:  # a vanilla prior reads the vanilla stage-1 run
        cfg = merged_config([REPO / f"train/stage_2/run_snn_transformer_{ds}_vanilla.sh"])
        assert cfg.model.params.first_stage.run == f"logs/*_snn_vqvae_{ds}_vanilla"


@pytest.mark.parametrize("path", STAGE1, ids=lambda p: p.stem[4:])
def test_stage1_configs_build(path, tmp_path, monkeypatch):
    cfg = merged_config([path])
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # nothing cached
    if cfg.model.params.loss.params.get("perceptual_weight", 0) > 0:  # LPIPS: VGG16 needed
        with pytest.raises(WeightsNotFoundError, match="vgg16"):
            instantiate_from_config(cfg.model, key_path="model")
        cfg.model.params.loss.params.perceptual_weight = 0.0
    with torch.device("meta"):
        model = instantiate_from_config(cfg.model, key_path="model")
    assert model.quantize.kind == ("vanilla" if path.stem.endswith("_vanilla") else "temporal")
    params = cfg.model.params
    if "ndigits" not in path.stem:  # the paper's full-size settings
        dataset = path.stem[len("run_snn_vqvae_"):].removesuffix("_vanilla")
        batch, epochs, time_steps, disc_start = TABLE[dataset]
        assert (params.embed_dim, params.time_steps, params.network.num_res_blocks) == (256, time_steps, 2)
        assert cfg.model.base_learning_rate == pytest.approx(4.5e-6)
        assert params.loss.params.disc_weight == pytest.approx(0.8)
        assert (params.loss.params.disc_start, params.loss.params.disc_start_unit) == disc_start
        assert cfg.data.params.batch_size * cfg.lightning.trainer.devices == batch
        assert cfg.lightning.trainer.max_epochs == epochs and cfg.seed == 42
        size = cfg.data.params.train.params.size
        assert [params.network.resolution] * 2 == (list(size) if hasattr(size, "__len__") else [size] * 2)
    else:
        assert cfg.seed == 23  # the N-Digits demo's
    for split in ("train", "validation"):
        if "root" in cfg.data.params[split].params:
            cfg.data.params[split].params.root = str(tmp_path)
    data = instantiate_from_config(cfg.data, key_path="data")
    assert data.batch_size == cfg.data.params.batch_size


@pytest.mark.parametrize("path", STAGE2, ids=lambda p: p.stem[4:])
def test_stage2_transformer_configs_build(path):
    cfg = merged_config([path])
    params = cfg.model.params
    assert str(params.first_stage.run).startswith("logs/*_snn_vqvae_")
    node = OmegaConf.to_container(params.network)
    node["params"].update(vocab_size=1024, block_size=16)
    with torch.device("meta"):
        gpt = instantiate_from_config(node)
    assert gpt.time_steps == 2 and not gpt.blocks[0].attn.softmax
    assert cfg.seed == (23 if "ndigits" in path.stem else 42)
    if "ndigits" not in path.stem:
        assert (len(gpt.blocks), gpt.head.in_features) == (24, 1024)


@pytest.mark.parametrize("name", ["sample_event", "sample_static"])
def test_sample_configs_have_every_setting(name):
    from dataclasses import fields

    from spikevision.sample.sampler import SampleSettings

    section = OmegaConf.to_container(load_config(REPO / f"sample/{name}.yaml").sample)
    settings = {k: v for k, v in section.items() if k not in ("run", "config", "ckpt", "out_dir", "device")}
    assert set(settings) == {f.name for f in fields(SampleSettings)} - {"fps"}
    assert (REPO / f"sample/run_{name}.sh").is_file()


def test_documented_parameter_counts():
    """docs/generation_configs.md's counts, from benchmarks/generation_params.py (meta device)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generation_params", REPO / "benchmarks/generation_params.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = {ds: module.stage1(ds) for ds in ("celeba", "lsun_bedroom", "nmnist")}
    assert [rows[d]["autoencoder_params"] for d in rows] == [72_928_131, 73_452_419, 72_925_826]
    assert [rows[d]["discriminator_params"] for d in rows] == [2_765_633, 2_765_633, 2_764_609]
    # the T = 6 temporal codebook: 1024 codes × 2 more steps × 256
    assert rows["lsun_bedroom"]["autoencoder_params"] - rows["celeba"]["autoencoder_params"] == 1024 * 2 * 256
    gpt = [module.stage2(d, 1024, rows[d]["block"])["gpt_params"] for d in ("celeba", "lsun_bedroom")]
    assert gpt == [304_425_984, 304_671_744] and gpt[1] - gpt[0] == (256 - 16) * 1024  # positions
    docs = (REPO / "docs/generation_configs.md").read_text()
    assert all(f"{n:,}" in docs for n in (72_928_131, 73_452_419, 72_925_826, 304_425_984, 304_671_744))
