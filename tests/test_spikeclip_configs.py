"""The external-dataset SpikeCLIP configs build (data on fake roots, models with a tiny CLIP)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spikevision.cli.launch_scripts import merged_config
from spikevision.io import make_events, write_atis_bin, write_uhsr_npz
from spikevision.registry import instantiate_from_config

REPO = Path(__file__).resolve().parents[1]
TINY_CLIP = ["model.params.clip.model_name=spikevision-tiny", "model.params.clip.pretrained=null"]


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fake")
    rng = np.random.default_rng(0)
    for cls in ("accordion", "airplanes"):
        (root / "ncal" / cls).mkdir(parents=True)
        (root / "img" / cls).mkdir(parents=True)
        for i in range(1, 11):  # 8 training files per class: 1 held out for validation
            n = 200
            ev = make_events(rng.integers(0, 240, n), rng.integers(0, 180, n),
                             np.sort(rng.integers(0, 10**5, n)), rng.integers(0, 2, n))
            write_atis_bin(root / "ncal" / cls / f"image_{i:04d}.bin", ev)
            img = Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8))
            img.save(root / "img" / cls / f"image_{i:04d}.jpg")
    for split, ids in (("train", (0, 1)), ("test", (5000,))):
        (root / "uhsr" / split).mkdir(parents=True)
        for i in ids:
            spikes = (rng.random((8, 250, 250)) < 0.3).astype(np.uint8)
            write_uhsr_npz(root / "uhsr" / split / f"{i}.npz", spikes, i % 2)
    (root / "hq").mkdir()
    Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(root / "hq" / "a.png")
    return {"root": root}


@pytest.fixture(scope="module")
def tiny_exports(tmp_path_factory) -> Path:
    from spikevision.models.spikeclip import PromptLearnerModel, SpikeClipReconModel

    art = tmp_path_factory.mktemp("art")
    net = {"target": "spikevision.models.recon.SnnUNet",
           "params": {"in_channels": 1, "out_channels": 1, "ch": 4, "ch_mult": [1, 2]}}
    clip = {"model_name": "spikevision-tiny", "pretrained": None}
    SpikeClipReconModel(clip=clip, label_names=["a", "b"], network=net, time_steps=8,
                        input_transform="none").export(art / "stage1_recon.pt")
    PromptLearnerModel(coarse=str(art / "stage1_recon.pt")).export(art / "stage2_prompts.pt")
    return art


def overrides_for(name: str, roots: dict[str, Path], art: Path) -> list[str]:
    r = roots["root"]
    if "ncaltech" in name:
        return [f"dataset_roots.events={r / 'ncal'}", f"dataset_roots.images={r / 'img'}", f"artifacts={art}"]
    return [f"dataset_root={r / 'uhsr'}", f"hq_root={r / 'hq'}", f"artifacts={art}"]


CONFIGS = [f"train/stage_1/run_spikeclip_{d}.sh" for d in ("ncaltech101", "ucaltech", "ucifar")] + [
    f"train/stage_2/run_spikeclip_prompt_{d}.sh" for d in ("ncaltech101", "ucaltech", "ucifar")] + [
    "train/stage_3/run_spikeclip_ncaltech101.sh", "train/stage_3/run_spikeclip_refine_ucaltech.sh",
    "train/stage_3/run_spikeclip_refine_ucifar.sh"]


@pytest.mark.parametrize("config", CONFIGS)
def test_external_config_builds(config, roots, tiny_exports):
    cfg = merged_config([REPO / config], overrides_for(config, roots, tiny_exports))
    assert cfg.lightning.trainer.accelerator == "gpu"
    data = instantiate_from_config(cfg.data, key_path="data")
    data.setup()
    for ds in data.datasets.values():
        item = ds[0]
        assert item["input"].dim() == 4 and isinstance(item["label"], int)
    if config.startswith("train/stage_1"):
        cfg = merged_config([REPO / config], overrides_for(config, roots, tiny_exports) + TINY_CLIP)
    model = instantiate_from_config(cfg.model, key_path="model")
    assert model.export_path.startswith(str(tiny_exports))
    if config.startswith("train/stage_1"):  # inference reads files as the dataset does
        from spikevision.data.recording_inputs import to_input

        modality = model.input_spec["modality"]
        if modality == "events":
            raw = make_events([0, 239], [0, 179], [0, 1000], [0, 1])
        else:
            raw = (np.random.default_rng(0).random((16, 224, 224)) < 0.3).astype(np.uint8)
        x = to_input(raw, model.input_spec)
        assert x.shape[:2] == item["input"].shape[:2] and x.shape[-2:] == item["input"].shape[-2:]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) > 0
