"""``benchmarks/gpu_check.py``: skips cleanly without CUDA, and its CPU side (``--device cpu --tiny``)
runs every section and writes the JSON report the GPU run writes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from gpu_check_module import SCRIPT, load_gpu_check

gc = load_gpu_check()


@pytest.mark.skipif(torch.cuda.is_available(), reason="the skip path needs a machine without CUDA")
def test_skips_with_one_line_and_status_0_without_cuda(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / "r.json")], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == [gc.SKIP_LINE]
    assert not (tmp_path / "r.json").exists()


def test_skip_path_in_process(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gc.main(["--device", "cuda", "--out", str(tmp_path / "r.json")]) == 0
    assert capsys.readouterr().out.strip() == gc.SKIP_LINE


@pytest.mark.slow
def test_cpu_side_of_every_section_writes_the_report(monkeypatch, tmp_path):
    # two families keep it short (every family's CPU step is in test_precision.py)
    monkeypatch.setattr(gc, "FAMILIES", ("recon", "vqgan"))
    out = tmp_path / "report.json"
    assert gc.main(["--device", "cpu", "--tiny", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(gc.SECTIONS) <= set(report) and set(gc.SECTIONS) | {"total"} <= set(report["seconds"])
    assert report["environment"]["device"] == "cpu"
    for name in ("recon", "vqgan"):
        fam = report["families"][name]
        assert fam["finite"] and fam["changed"] > 0 and fam["step_s"] > 0, fam
        bf16 = report["precision"]["bf16-mixed"][name]
        assert bf16["finite"] and bf16["speedup_vs_fp32"] > 0, bf16
    assert "skipped" in report["precision"]["16-mixed"]
    lif = report["lif_kernels"]
    assert lif["torch"]["seconds"] > 0 and "skipped" in lif["cuda"] and "skipped" in lif["triton"]
    loop = report["loop"]
    for name in ("vqgan", "jscc"):  # the peers give the same outputs, so the timing compares like with like
        assert loop[name]["outputs_equal"] and loop[name]["speedup"] > 0, loop[name]
    assert "skipped" in loop["recon"]
    events = report["events"]
    assert events["events"] == 20_000
    for rep in ("frames", "voxel_grid"):
        assert events[rep]["max_abs_diff"] < 1e-4 and events[rep]["speedup"] > 0
    assert "skipped" in report["ddp"]


def test_lif_kernel_section_restores_the_backend():
    from spikevision.snn.backend import current_backend

    before = current_backend("lif")
    section = gc.section_lif_kernels(torch.device("cpu"), tiny=True)
    assert current_backend("lif") == before
    assert section["shape"] == [4, 2, 8, 16, 16] and section["torch"]["seconds"] > 0
