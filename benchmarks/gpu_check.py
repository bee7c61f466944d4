"""One-GPU readiness check: every family trains on CUDA, kernels agree, and how fast — one JSON report.

Sections (each a key of the report; ``--sections`` picks some):

``families``    one training step (Lightning ``Trainer.fit``) of every family at fp32: loss finite,
                weights changed, seconds.
``precision``   the same at ``bf16-mixed`` and ``16-mixed`` (fp16 with gradient scaling; CUDA
                only — Lightning has no fp16 autocast on CPU), with the step time relative to fp32.
``lif_kernels`` spikingjelly's LIF on the ``torch`` path vs its ``cuda`` and ``triton`` kernels
                (:mod:`spikevision.snn.backend`): spikes, final membrane and input gradients equal
                within tolerance, forward+backward time ratio.
``loop``        SNN training-step time of our multi-step networks vs the same network driven one
                time step at a time from a Python loop (the peers of ``bench_vqvae.py`` and
                ``bench_jscc.py``: VQ-VAE and JSCC; the other families have no per-step peer).
``events``      the batched on-device event representation (frames and voxel grid) vs the numpy
                path, one call per sample, on ``--events`` events (goal ≥ 50× on a GPU).
``ddp``         with two or more GPUs: a 2-GPU DDP fit of the reconstruction family in a
                subprocess (skipped with one GPU).

Without CUDA (and without ``--device cpu``) it prints one line saying why and exits 0.
``--device cpu --tiny`` runs every section's CPU side quickly (the test, ``tests/test_gpu_check.py``).

Usage: python benchmarks/gpu_check.py [--out gpu_check.json] [--device auto|cuda|cpu] [--tiny]
       [--sections families precision lif_kernels loop events ddp] [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the per-step peers of the other benchmarks
    sys.path.insert(0, str(HERE))

SECTIONS = ("families", "precision", "lif_kernels", "loop", "events", "ddp")
FAMILIES = ("recon", "spikeclip_stage1", "spikeclip_stage2", "spikeclip_stage3", "spikeclip_refiner",
            "vqgan", "transformer", "spikecnn", "jscc")
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SKIP_LINE = "gpu_check: skipped: no CUDA GPU here (torch.cuda.is_available() is False); run it on a GPU machine"


@dataclass
class Family:
    """A built LightningModule and the dataset items ``[C, H, W]``/``[T, C, H, W]`` it trains on."""

    name: str
    model: Any
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class Size:
    """Network width, image side and batch of the family builds."""

    ch: int
    side: int
    batch: int
    steps: int = 2  # time steps


TINY = Size(ch=4, side=16, batch=2)
GPU = Size(ch=32, side=64, batch=16)


def _recon_net(size: Size) -> dict[str, Any]:
    return {"target": "spikevision.models.recon.SnnUNet",
            "params": {"in_channels": 2, "out_channels": 1, "ch": size.ch, "ch_mult": [1, 2], "num_res_blocks": 1}}


def _vq_params(size: Size, disc_start: int = 0) -> dict[str, Any]:
    ch = max(8, size.ch)
    return {"n_embed": 32, "embed_dim": 8, "time_steps": size.steps, "codebook": "temporal",
            "input_coding": "bins", "output": "frames", "image_key": "input", "input_clip": 1.0,
            "network": {"in_channels": 2, "out_channels": 2, "ch": ch, "ch_mult": [1, 2], "num_res_blocks": 1,
                        "attn_resolutions": [], "resolution": size.side, "z_channels": 8},
            "loss": {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator",
                     "params": {"disc_start": disc_start, "disc_in_channels": 2, "disc_ndf": 8,
                                "disc_num_layers": 2, "disc_weight": 0.8}}}


def _event_items(size: Size, n: int, image: bool = True, seed: int = 0) -> list[dict[str, Any]]:
    g = torch.Generator().manual_seed(seed)
    items = []
    for i in range(n):
        x = torch.poisson(torch.full((size.steps, 2, size.side, size.side), 0.3), generator=g)
        item: dict[str, Any] = {"input": x, "label": i % 10, "index": i}
        if image:
            item["image"] = (x.sum((0, 1)) > 0).float()[None] * 0.8 + 0.1
        items.append(item)
    return items


def build_family(name: str, root: str | Path, size: Size = TINY, compile: bool | Mapping[str, Any] = False,
                 n_items: int | None = None, jscc_variant: str = "side_info") -> Family:
    """The family ``name`` (one of :data:`FAMILIES`) at ``size``, with random weights; SpikeCLIP's later
    stages read exports of the earlier ones written under ``root`` by the real export code."""
    from spikevision.clip import load_open_clip, save_open_clip_checkpoint
    from spikevision.models.jscc import StereoJsccModel
    from spikevision.models.recon import SnnReconModel
    from spikevision.models.spikeclip import (
        PromptLearnerModel,
        RefinerModel,
        SpikeClipQualityModel,
        SpikeClipReconModel,
    )
    from spikevision.models.spikecnn import SpikeCnnModel
    from spikevision.models.transformer import SnnTransformerModel
    from spikevision.models.vqvae import SnnVQModel

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    n = n_items or 2 * size.batch
    torch.manual_seed(0)
    if name == "recon":
        return Family(name, SnnReconModel(network=_recon_net(size), time_steps=size.steps, compile=compile),
                      _event_items(size, n))
    if name.startswith("spikeclip"):
        clip_file = root / "clip.pt"
        if not clip_file.is_file():
            save_open_clip_checkpoint(load_open_clip("spikevision-tiny")[0], clip_file)
        clip = {"model_name": "spikevision-tiny", "pretrained": str(clip_file)}
        spec = {"modality": "events", "representation": {"kind": "frames", "num_bins": size.steps},
                "sensor_size": [size.side, size.side], "size": None}
        stage1 = root / "stage1_recon.pt"
        prompts = root / "stage2_prompts.pt"
        if name != "spikeclip_stage1" and not stage1.is_file():
            SpikeClipReconModel(clip=clip, label_names=DIGITS, input_spec=spec, network=_recon_net(size),
                                time_steps=size.steps).export(stage1)
        if name in ("spikeclip_stage3", "spikeclip_refiner") and not prompts.is_file():
            PromptLearnerModel(coarse=str(stage1)).export(prompts)
        items = _event_items(size, n)
        if name == "spikeclip_stage1":
            model = SpikeClipReconModel(clip=clip, label_names=DIGITS, input_spec=spec, network=_recon_net(size),
                                        time_steps=size.steps, compile=compile)
        elif name == "spikeclip_stage2":
            model = PromptLearnerModel(coarse=str(stage1), compile=compile)
        elif name == "spikeclip_stage3":
            model = SpikeClipQualityModel(init_from=str(stage1), prompts=str(prompts), compile=compile)
        else:
            model = RefinerModel(coarse=str(stage1), prompts=str(prompts), compile=compile,
                                 network={"ch": max(8, size.ch), "ch_mult": [1, 2]})
        return Family(name, model, items)
    if name == "vqgan":
        return Family(name, SnnVQModel(**_vq_params(size), compile=bool(compile)), _event_items(size, n, image=False))
    if name == "transformer":
        first = {"target": "spikevision.models.vqvae.SnnVQModel", "params": _vq_params(size)}
        net = {"target": "spikevision.models.transformer.SnnGPT",
               "params": {"n_layer": 1, "n_head": 2, "n_embd": 4 * size.ch, "time_steps": size.steps}}
        return Family(name, SnnTransformerModel(network=net, first_stage=first, log_samples=0, compile=compile),
                      _event_items(size, n, image=False))
    if name == "spikecnn":
        frames = 4 * size.steps
        g = torch.Generator().manual_seed(1)
        items = [{"input": (torch.rand(frames, 1, size.side, size.side, generator=g) < 0.3).float(),
                  "image": torch.rand(1, size.side, size.side, generator=g), "label": 0, "index": i}
                 for i in range(n)]
        return Family(name, SpikeCnnModel(network={"target": "spikevision.models.spikecnn.SemiUNet",
                                                   "params": {"in_channels": frames, "ch": size.ch}},
                                          vgg={"weights": "random", "num_layers": 4}, compile=compile), items)
    if name == "jscc":
        system = {"variant": jscc_variant, "hidden_channels": 2 * size.ch, "latent_channels": 4, "num_layers": 2,
                  "activation": "spike", "time_steps": size.steps,
                  "neuron": {"kind": "ilif", "max_spike_count": 2, "tau": 1.3333, "v_threshold": 1.0}}
        g = torch.Generator().manual_seed(2)
        items = [{"left": torch.rand(3, size.side, size.side, generator=g),
                  "right": torch.rand(3, size.side, size.side, generator=g), "index": i} for i in range(n)]
        return Family(name, StereoJsccModel(system=system, lr_schedule="none", compile=compile), items)
    raise ValueError(f"unknown family {name!r}; choose from {FAMILIES}")


def trainable_snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: p.detach().clone() for k, p in model.named_parameters() if p.requires_grad}


def fit_steps(family: Family, steps: int = 1, precision: str = "32-true", accelerator: str = "cpu",
              batch_size: int | None = None) -> dict[str, Any]:
    """Train ``steps`` batches with Lightning; the logged ``train/loss``, whether every trainable
    weight stayed finite, how many changed, and the seconds of the last step."""
    import lightning.pytorch as pl
    from torch.utils.data import DataLoader

    times: list[float] = []

    class StepTimer(pl.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            self._sync()
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            self._sync()
            times.append(time.perf_counter() - self.t0)

        @staticmethod
        def _sync() -> None:
            if accelerator in ("cuda", "gpu"):
                torch.cuda.synchronize()

    model = family.model
    before = trainable_snapshot(model)
    loader = DataLoader(family.items, batch_size=batch_size or max(1, len(family.items) // 2), shuffle=False)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = pl.Trainer(accelerator=accelerator, devices=1, max_epochs=1, limit_train_batches=steps,
                             limit_val_batches=0, num_sanity_val_steps=0, logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, precision=precision,
                             default_root_dir=tmp, callbacks=[StepTimer()])
        trainer.fit(model, train_dataloaders=loader)
    after = {k: p.detach().cpu() for k, p in model.named_parameters() if k in before}
    loss = trainer.callback_metrics.get("train/loss")
    return {
        "loss": None if loss is None else float(loss),
        "finite": bool(loss is not None and torch.isfinite(loss).item()
                       and all(torch.isfinite(v).all().item() for v in after.values())),
        "changed": sum(int(not torch.equal(before[k].cpu(), v)) for k, v in after.items()),
        "trainable": len(before),
        "step_s": times[-1] if times else None,
        "first_step_s": times[0] if times else None,
    }


def _run_family(name: str, root: Path, size: Size, precision: str, accelerator: str, steps: int) -> dict[str, Any]:
    try:
        family = build_family(name, root, size)
        return fit_steps(family, steps, precision, accelerator, size.batch)
    except Exception as err:  # report, then go on with the other families
        return {"error": f"{type(err).__name__}: {str(err)[:300]}"}


def section_families(device: torch.device, size: Size, root: Path) -> dict[str, Any]:
    acc = "cuda" if device.type == "cuda" else "cpu"
    return {name: _run_family(name, root, size, "32-true", acc, steps=2) for name in FAMILIES}


def section_precision(device: torch.device, size: Size, root: Path, fp32: Mapping[str, Any] | None) -> dict[str, Any]:
    acc = "cuda" if device.type == "cuda" else "cpu"
    out: dict[str, Any] = {}
    for precision in ("bf16-mixed", "16-mixed"):
        if precision == "16-mixed" and device.type != "cuda":
            out[precision] = {"skipped": "Lightning has no fp16 autocast on CPU (16-mixed needs CUDA)"}
            continue
        if precision == "bf16-mixed" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
            out[precision] = {"skipped": "this GPU has no bfloat16"}
            continue
        res = {name: _run_family(name, root, size, precision, acc, steps=2) for name in FAMILIES}
        for name, r in res.items():
            base = (fp32 or {}).get(name, {})
            if r.get("step_s") and base.get("step_s"):
                r["speedup_vs_fp32"] = base["step_s"] / r["step_s"]
        out[precision] = res
    return out


def _lif_pass(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    from spikevision.snn.neurons import make_lif, reset_states

    lif = make_lif().to(x.device)
    xi = x.detach().clone().requires_grad_(True)
    spikes = lif(xi)
    v = lif.v.detach().clone() if torch.is_tensor(lif.v) else torch.as_tensor(lif.v)
    (spikes * torch.linspace(0, 1, spikes.numel(), device=x.device).view_as(spikes)).sum().backward()
    reset_states(lif)
    return spikes.detach(), v, xi.grad.detach()


def _best(fn: Callable[[], Any], repeats: int, sync: Callable[[], None] | None) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        best = min(best, time.perf_counter() - t0)
    return best


def section_lif_kernels(device: torch.device, tiny: bool) -> dict[str, Any]:
    from spikevision.snn.backend import (
        current_backend,
        selected_implementation,
        set_families_backend,
    )

    shape = (4, 2, 8, 16, 16) if tiny else (8, 32, 64, 32, 32)
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(shape, generator=g) * 0.6 + 0.4).to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    previous = current_backend("lif")
    out: dict[str, Any] = {"shape": list(shape)}
    try:
        set_families_backend(["lif"], "torch")
        ref = _lif_pass(x)
        torch_s = _best(lambda: _lif_pass(x), 2 if tiny else 10, sync)
        out["torch"] = {"seconds": torch_s}
        for kernel in ("cuda", "triton"):
            if device.type != "cuda":
                out[kernel] = {"skipped": "CPU: spikingjelly runs the torch path on CPU tensors"}
                continue
            try:
                set_families_backend(["lif"], kernel)
                got = _lif_pass(x)
                used = selected_implementation("lif", device)
                seconds = _best(lambda: _lif_pass(x), 10, sync)
            except Exception as err:  # kernel unavailable on this GPU/driver: say so
                out[kernel] = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
                continue
            out[kernel] = {
                "implementation": used,
                "spikes_mismatch_fraction": float((got[0] != ref[0]).float().mean()),
                "v_max_abs_diff": float((got[1] - ref[1]).abs().max()),
                "grad_max_abs_diff": float((got[2] - ref[2]).abs().max()),
                "equal": bool(torch.equal(got[0], ref[0]) and torch.allclose(got[1], ref[1], atol=1e-5)
                              and torch.allclose(got[2], ref[2], atol=1e-5)),
                "seconds": seconds, "speedup_vs_torch": torch_s / seconds,
            }
    finally:
        set_families_backend(["lif"], previous)
    return out


def _train_step_time(module: torch.nn.Module, params: list[torch.nn.Parameter], loss_fn: Callable[[], torch.Tensor],
                     repeats: int, sync: Callable[[], None] | None) -> float:
    """Best seconds of forward + backward + Adam step; neuron states reset after each."""
    from spikevision.snn.neurons import reset_states

    opt = torch.optim.Adam(params, lr=1e-4)

    def step() -> None:
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
        reset_states(module)

    return _best(step, repeats, sync)


def section_loop(device: torch.device, size: Size) -> dict[str, Any]:
    from bench_jscc import folded_forward, per_step_forward
    from bench_vqvae import forward_multistep
    from bench_vqvae import forward_per_step as vq_per_step
    from spikevision.snn.neurons import reset_states

    sync = torch.cuda.synchronize if device.type == "cuda" else None
    repeats = 2 if size is TINY else 5
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        vq = build_family("vqgan", tmp, size)
        m = vq.model.to(device)
        x = torch.stack([it["input"] for it in vq.items[: size.batch]]).to(device).clamp(0, 1) * 2 - 1
        params = [p for n, p in m.named_parameters() if not n.startswith("loss.")]
        with torch.no_grad():
            same = torch.allclose(forward_multistep(m, x), vq_per_step(m, x), atol=1e-5)
        ours = _train_step_time(m, params, lambda: (forward_multistep(m, x) - x).abs().mean(), repeats, sync)
        loop = _train_step_time(m, params, lambda: (vq_per_step(m, x) - x).abs().mean(), repeats, sync)
        out["vqgan"] = {"multi_step_s": ours, "per_step_loop_s": loop, "speedup": loop / ours, "outputs_equal": same}
        jscc = build_family("jscc", tmp, size, jscc_variant="single")  # the peer is the single-view codec
        system = jscc.model.system.to(device).eval()  # eval: batch-norm statistics fixed, the two paths comparable
        left = torch.stack([it["left"] for it in jscc.items[: size.batch]]).to(device)
        right = torch.stack([it["right"] for it in jscc.items[: size.batch]]).to(device)
        try:
            with torch.no_grad():
                folded = folded_forward(system, left, right)
                reset_states(system)
                same = torch.allclose(folded, per_step_forward(system, left, right), atol=1e-5)
                reset_states(system)
            target = torch.cat([left, right])
            ps = list(system.parameters())
            ours = _train_step_time(system, ps, lambda: ((folded_forward(system, left, right) - target) ** 2).mean(),
                                    repeats, sync)
            loop = _train_step_time(system, ps,
                                    lambda: ((per_step_forward(system, left, right) - target) ** 2).mean(),
                                    repeats, sync)
            out["jscc"] = {"multi_step_s": ours, "per_step_loop_s": loop, "speedup": loop / ours,
                           "outputs_equal": same}
        except Exception as err:  # the peer follows the single-view codec layout
            out["jscc"] = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
    for name in FAMILIES:
        out.setdefault(name, {"skipped": "no per-time-step peer for this family"})
    return out


def section_events(device: torch.device, n_events: int, tiny: bool) -> dict[str, Any]:
    import numpy as np

    from bench_events import per_sample, random_stream
    from spikevision.events import (
        events_to_tensors,
        to_frames,
        to_frames_torch,
        to_voxel_grid,
        to_voxel_grid_torch,
    )

    bins, height, width, batch = 10, 260, 346, 8
    events = random_stream(n_events, height, width, seed=0)
    samples = np.array_split(events, batch)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    repeats = 2 if tiny else 10
    out: dict[str, Any] = {"events": n_events, "samples": batch, "bins": bins, "sensor": [height, width],
                           "device": device.type, "goal_speedup": 50.0}
    for name, numpy_fn, torch_fn in (("frames", to_frames, to_frames_torch),
                                     ("voxel_grid", to_voxel_grid, to_voxel_grid_torch)):
        numpy_s = _best(partial(per_sample, numpy_fn, samples, bins, height, width), repeats, None)
        expected = torch.from_numpy(np.stack([numpy_fn(s, bins, height, width) for s in samples]))
        inputs = events_to_tensors(samples, device=device)
        call = partial(torch_fn, **inputs, batch_size=batch, num_bins=bins, height=height, width=width)
        torch_s = _best(call, repeats, sync)
        out[name] = {"numpy_s": numpy_s, "torch_s": torch_s, "speedup": numpy_s / torch_s,
                     "max_abs_diff": float((call().cpu().to(expected.dtype) - expected).abs().max())}
    return out


DDP_CHILD = "--ddp-child"


def section_ddp(device: torch.device, timeout: float = 240.0) -> dict[str, Any]:
    gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    if gpus < 2:
        return {"skipped": f"needs two or more GPUs ({gpus} here)"}
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "ddp.json"
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, DDP_CHILD, str(result)], capture_output=True, text=True,
                              timeout=timeout, check=False)
        out: dict[str, Any] = {"returncode": done.returncode, "seconds": time.perf_counter() - t0}
        if result.is_file():
            out.update(json.loads(result.read_text()))
        if done.returncode != 0:
            out["stderr_tail"] = done.stderr[-1500:]
    return out


def ddp_child(result: str) -> None:
    """A 2-GPU DDP fit of the reconstruction family (Lightning re-launches this script per rank)."""
    import lightning.pytorch as pl
    from torch.utils.data import DataLoader

    with tempfile.TemporaryDirectory() as tmp:
        fam = build_family("recon", tmp, GPU, n_items=8 * GPU.batch)
        trainer = pl.Trainer(accelerator="cuda", devices=2, strategy="ddp", max_epochs=1, limit_train_batches=4,
                             limit_val_batches=0, num_sanity_val_steps=0, logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp)
        trainer.fit(fam.model, train_dataloaders=DataLoader(fam.items, batch_size=GPU.batch))
        if trainer.is_global_zero:
            loss = trainer.callback_metrics.get("train/loss")
            Path(result).write_text(json.dumps({"world_size": trainer.world_size, "global_step": trainer.global_step,
                                                "loss": None if loss is None else float(loss)}))


def environment(device: torch.device) -> dict[str, Any]:
    import lightning
    import spikingjelly

    info: dict[str, Any] = {"python": platform.python_version(), "torch": torch.__version__,
                            "lightning": lightning.__version__,
                            "spikingjelly": getattr(spikingjelly, "__version__", "?"),
                            "device": device.type, "threads": torch.get_num_threads()}
    if device.type == "cuda":
        info.update(gpu=torch.cuda.get_device_name(device), gpus=torch.cuda.device_count(), cuda=torch.version.cuda)
    return info


def run_check(device: torch.device, sections: tuple[str, ...] = SECTIONS, tiny: bool = False,
              n_events: int = 1_000_000) -> dict[str, Any]:
    """Run ``sections`` on ``device``; the report (each section's seconds under ``seconds``)."""
    size = TINY if tiny else GPU
    report: dict[str, Any] = {"environment": environment(device), "size": vars(size), "seconds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in sections:
            t0 = time.perf_counter()
            if name == "families":
                report[name] = section_families(device, size, root)
            elif name == "precision":
                report[name] = section_precision(device, size, root, report.get("families"))
            elif name == "lif_kernels":
                report[name] = section_lif_kernels(device, tiny)
            elif name == "loop":
                report[name] = section_loop(device, size)
            elif name == "events":
                report[name] = section_events(device, n_events, tiny)
            elif name == "ddp":
                report[name] = section_ddp(device)
            else:
                raise ValueError(f"unknown section {name!r}; choose from {SECTIONS}")
            report["seconds"][name] = time.perf_counter() - t0
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [DDP_CHILD]:
        ddp_child(argv[1])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="gpu_check.json", help="JSON report path")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    p.add_argument("--tiny", action="store_true", help="tiny networks and inputs (CPU test)")
    p.add_argument("--sections", nargs="*", default=list(SECTIONS), choices=SECTIONS)
    p.add_argument("--events", type=int, default=None, help="events for the events section (default 1M; tiny 20k)")
    opt = p.parse_args(argv)
    if opt.device != "cpu" and not torch.cuda.is_available():
        print(SKIP_LINE)
        return 0
    device = torch.device("cuda" if opt.device != "cpu" else "cpu")
    os.environ.setdefault("SPIKEVISION_CACHE", tempfile.mkdtemp(prefix="gpu_check_cache_"))
    n_events = opt.events or (20_000 if opt.tiny else 1_000_000)
    t0 = time.perf_counter()
    report = run_check(device, tuple(opt.sections), opt.tiny, n_events)
    report["seconds"]["total"] = time.perf_counter() - t0
    Path(opt.out).write_text(json.dumps(report, indent=2, default=str))
    print(f"gpu_check: {len(opt.sections)} sections in {report['seconds']['total']:.0f} s on {device.type}; "
          f"report {opt.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
