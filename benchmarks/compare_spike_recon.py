"""Evidence: classical spike-camera reconstructions vs the trained Semi-UNet and the spiking U-Net,
over a sweep of light levels.

On simulated spike streams with ground truth — N-Digits (static 34×34 digits) and, with
``--tasks digits,scene``, a procedural moving scene (32×32, shapes moving 0.05 px per step) —
each method reconstructs the frame at the middle of a 256-step stream:

- raw: the spike frame itself; window (TFP): mean over the 32 frames around it;
- interval (TFI): 1 / inter-spike interval, searching the whole 256-step stream;
- Semi-UNet (:class:`SpikeCnnModel`, spikling's restorer; L2 term only, ``vgg: off`` — the
  ImageNet VGG19 is not available offline) and the spiking U-Net (:class:`SnnReconModel`, 4
  spike-rate bins of 8 frames) see only the same 32-frame window, as in spikling.

Light: each pixel receives ``gain · I`` per step (I ∈ [0, 1] the scene, integrate-and-fire
threshold 1, random initial potential). The sweep has ``--num-gains`` light gains log-spaced in
[0.05, 1] (at 0.05 a white pixel fires every 20 steps, 1–2 times per window). Every method
estimates the received light ``gain · I``; outputs are divided by the known gain and clipped to
[0, 1] before PSNR/SSIM against I. Both networks are trained here, from scratch, on the training
digits / other scenes with gains drawn log-uniformly in [0.05, 1] (the target is the received
light), for ``--steps`` Adam steps (``--snn-steps`` for the spiking U-Net, which is ~2× slower per
step); during training both are scored every ``--eval-every`` steps at gains 1 and 0.1 on 64
test images (the training-length trend). ``--reuse`` loads the networks saved by an earlier run
with the same settings (``logs/spike_recon/``) instead of training them.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/compare_spike_recon.py   # ≈ 15 min on 2 shared cores
    .venv/bin/python benchmarks/compare_spike_recon.py --steps 20 --snn-steps 10 --num-gains 3 --no-write  # smoke

Each network's MACs, SynOps and 45 nm energy estimate per reconstruction
(:mod:`spikevision.metrics.synops`) are measured on one test window at light gain 1.

Writes docs/spike_camera_results.md, resources/spike_camera/psnr_vs_light.png (PSNR vs light),
resources/spike_camera/psnr_vs_light.json (all numbers) and
resources/spike_camera/compare_spike_recon.png (example reconstructions, bright and dim).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from spikevision.data.ndigits_source import load_ndigits
from spikevision.metrics.synops import count_operations, format_operations, operations_table
from spikevision.models.recon import SnnReconModel
from spikevision.models.spikecnn import SpikeCnnModel
from spikevision.simulate import render_moving_scene, simulate_spikes
from spikevision.spikes import tfi, tfp

REPO = Path(__file__).resolve().parents[1]
STREAM, WINDOW, CENTER = 256, 32, 128
W0 = CENTER - WINDOW // 2  # the 32-frame window [112, 144) around the centre
GAIN_RANGE = (0.05, 1.0)  # training gains (log-uniform) and the sweep's ends
TREND_GAINS = (1.0, 0.1)
SCENE_SIZE, SCENE_SPEED = 32, 0.05
METHODS = ("raw", "window", "interval", "Semi-UNet", "spiking U-Net")
NETWORKS = ("Semi-UNet", "spiking U-Net")
CACHE = REPO / "logs" / "spike_recon"
OUT = REPO / "resources" / "spike_camera"


# ----------------------------------------------------------------------------- data


def simulate_batch(frames: np.ndarray, gains: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Spikes ``uint8 [B, S, H, W]`` of clips ``[B, S, H, W]`` (or images ``[B, H, W]`` held for
    ``STREAM`` steps) at per-sample ``gains``, all at once as one tall sensor."""
    b, h, w = frames.shape[0], frames.shape[-2], frames.shape[-1]
    light = frames * gains.reshape(b, *([1] * (frames.ndim - 1)))
    initial = rng.random((b * h, w))
    if frames.ndim == 3:
        spikes = simulate_spikes(light.reshape(b * h, w), STREAM, initial=initial)
    else:
        tall = light.transpose(1, 0, 2, 3).reshape(light.shape[1], b * h, w)
        spikes = simulate_spikes(tall, initial=initial)
    return spikes.reshape(spikes.shape[0], b, h, w).transpose(1, 0, 2, 3)


class DigitTask:
    """N-Digits: static digits; training windows of 32 steps at random gains."""

    name = "N-Digits (34×34, static)"
    key = "digits"

    def __init__(self) -> None:
        src = load_ndigits()
        self.train_images = src.images[src.indices("train")]
        self.test_images = src.images[src.indices("test")][:128]

    def train_batch(self, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        images = self.train_images[rng.integers(0, len(self.train_images), batch)]
        gains = np.exp(rng.uniform(*np.log(GAIN_RANGE), batch))
        light = images * gains[:, None, None]
        spikes = simulate_spikes(light.reshape(-1, light.shape[-1]), WINDOW,
                                 initial=rng.random((batch * light.shape[1], light.shape[2])))
        spikes = spikes.reshape(WINDOW, batch, *light.shape[1:]).transpose(1, 0, 2, 3)
        return spikes, light

    def test_set(self, gain: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Streams ``[N, STREAM, H, W]`` and ground truth ``[N, H, W]`` (scene units)."""
        n = len(self.test_images)
        return simulate_batch(self.test_images, np.full(n, gain), rng), self.test_images


class SceneTask:
    """Procedural moving scenes: training scenes and held-out test scenes (other seeds)."""

    name = f"moving scene ({SCENE_SIZE}×{SCENE_SIZE}, {SCENE_SPEED} px/step)"
    key = "scene"

    def __init__(self, num_train: int = 48, num_test: int = 24) -> None:
        times = np.arange(STREAM)
        self.train = np.stack([render_moving_scene(times, SCENE_SIZE, SCENE_SIZE, seed=1000 + k,
                                                   speed=SCENE_SPEED) for k in range(num_train)])
        self.test = np.stack([render_moving_scene(times, SCENE_SIZE, SCENE_SIZE, seed=k, speed=SCENE_SPEED)
                              for k in range(num_test)])

    def train_batch(self, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        scenes = rng.integers(0, len(self.train), batch)
        starts = rng.integers(0, STREAM - WINDOW + 1, batch)
        clips = np.stack([self.train[s, t : t + WINDOW] for s, t in zip(scenes, starts)])
        gains = np.exp(rng.uniform(*np.log(GAIN_RANGE), batch))
        spikes = simulate_batch(clips, gains, rng)
        target = clips[:, WINDOW // 2] * gains[:, None, None]
        rot = rng.integers(0, 4)  # cheap augmentation, identical for input and target
        return np.rot90(spikes, rot, axes=(-2, -1)).copy(), np.rot90(target, rot, axes=(-2, -1)).copy()

    def test_set(self, gain: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return simulate_batch(self.test, np.full(len(self.test), gain), rng), self.test[:, CENTER]


# ----------------------------------------------------------------------------- models


def build_models(opt: argparse.Namespace) -> dict[str, torch.nn.Module]:
    cnn = SpikeCnnModel(
        network={"target": "spikevision.models.spikecnn.SemiUNet",
                 "params": {"in_channels": WINDOW, "ch": opt.cnn_ch, "init": opt.cnn_init}},
        l2_weight=100.0, vgg="off", learning_rate=opt.cnn_lr,
    )
    snn = SnnReconModel(
        network={"target": "spikevision.models.recon.SnnUNet",
                 "params": {"in_channels": 1, "out_channels": 1, "ch": 16, "ch_mult": [1, 2, 2]}},
        time_steps=4, input_coding="bins", input_transform="none",
        loss={"l1_weight": 1.0, "ssim_weight": 0.5}, learning_rate=1e-3,
    )
    return {"Semi-UNet": cnn, "spiking U-Net": snn}


def model_input(name: str, spikes: torch.Tensor) -> torch.Tensor:
    """32-frame windows ``[B, 32, H, W]`` → the model's input (frames, or 4 rate bins of 8)."""
    if name == "Semi-UNet":
        return spikes
    b, t, h, w = spikes.shape
    return spikes.reshape(b, 4, t // 4, h, w).mean(2)[:, :, None]


def model_loss(name: str, model: torch.nn.Module, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if name == "Semi-UNet":
        return model.compute_loss(pred, target)[0]
    return model.loss(pred, target)[0]


@torch.no_grad()
def predict(name: str, model: torch.nn.Module, windows: torch.Tensor) -> np.ndarray:
    """Windows ``[N, 32, H, W]`` → received-light estimates ``[N, H, W]``."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(model_input(name, windows[i : i + 32])) for i in range(0, len(windows), 32)])
    model.train(was_training)
    return out[:, 0].numpy()


def psnr(pred: np.ndarray, truth: np.ndarray) -> float:
    p, t = torch.from_numpy(pred).float()[:, None], torch.from_numpy(truth).float()[:, None]
    return float(peak_signal_noise_ratio(p, t, data_range=1.0, reduction="none", dim=(1, 2, 3)).mean())


def scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    p, t = torch.from_numpy(pred).float()[:, None], torch.from_numpy(truth).float()[:, None]
    return psnr(pred, truth), float(structural_similarity_index_measure(p, t, data_range=1.0))


def train(name: str, model: torch.nn.Module, task, steps: int, batch: int, seed: int, eval_every: int,
          probes: dict[float, tuple[torch.Tensor, np.ndarray]]) -> dict:
    """Adam for ``steps`` steps; PSNR at the ``probes`` gains every ``eval_every`` steps."""
    rng = np.random.default_rng(seed)
    opt = model.configure_optimizers()
    model.train()
    losses, trend, start = [], [], time.perf_counter()

    def probe(step: int) -> None:
        trend.append({"step": step, "seconds": round(time.perf_counter() - start, 1),
                      **{f"psnr@{g:g}": psnr(np.clip(predict(name, model, w) / g, 0, 1), truth)
                         for g, (w, truth) in probes.items()}})
        print(f"  {name} step {step}: " + ", ".join(f"{k} {v:.2f}" for k, v in trend[-1].items()
                                                     if k.startswith("psnr")), flush=True)

    probe(0)
    for step in range(1, steps + 1):
        spikes, target = task.train_batch(batch, rng)
        x = model_input(name, torch.from_numpy(spikes).float())
        loss = model_loss(name, model, model(x), torch.from_numpy(target).float()[:, None])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % eval_every == 0 or step == steps:
            probe(step)
    model.eval()
    k = max(1, steps // 10)
    return {"steps": steps, "batch": batch, "seconds": round(time.perf_counter() - start, 1),
            "loss_first": float(np.mean(losses[:k])), "loss_last": float(np.mean(losses[-k:])), "trend": trend}


# ----------------------------------------------------------------------------- evaluation


@torch.no_grad()
def reconstruct(streams: np.ndarray, gain: float, models: dict[str, torch.nn.Module]) -> dict[str, np.ndarray]:
    """Each method's estimate of the scene ``[N, H, W]`` in [0, 1] at frame ``CENTER``."""
    out = {
        "raw": streams[:, CENTER].astype(np.float32),
        "window": np.stack([tfp(s, CENTER, WINDOW) for s in streams]),
        "interval": np.stack([tfi(s, CENTER) for s in streams]),
    }
    window = torch.from_numpy(streams[:, W0 : W0 + WINDOW].astype(np.float32))
    for name, model in models.items():
        out[name] = predict(name, model, window)
    return {k: np.clip(v / gain, 0.0, 1.0) for k, v in out.items()}


def sweep_plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(results)
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 3.8), squeeze=False)
    styles = {"raw": ":", "window": "-", "interval": "-", "Semi-UNet": "-", "spiking U-Net": "--"}
    for ax, task in zip(axes[0], tasks):
        rows = results[task]["sweep"]
        gains = [r["gain"] for r in rows]
        for m in METHODS:
            ax.plot(gains, [r["psnr"][m] for r in rows], styles[m], marker="o", ms=3.5, label=m)
        ax.set_xscale("log")
        ax.set_xlabel("light gain (fraction of full brightness per step)")
        ax.set_ylabel("PSNR (dB)")
        ax.set_title(results[task]["name"], fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def example_figure(rows: list[tuple[str, np.ndarray, dict[str, np.ndarray]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = ("ground truth", *METHODS)
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(1.6 * len(cols), 1.75 * len(rows)), squeeze=False)
    for r, (label, truth, recs) in enumerate(rows):
        for c, col in enumerate(cols):
            ax = axes[r, c]
            ax.imshow(truth if col == "ground truth" else recs[col], cmap="gray", vmin=0, vmax=1,
                      interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(col, fontsize=8)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_doc(results: dict, opt: argparse.Namespace, path: Path) -> None:
    lines = ["# Spike-camera reconstruction over light levels: classical methods vs trained networks", "",
             "Produced by `benchmarks/compare_spike_recon.py` (see its docstring for the setup) with",
             f"`{opt.command}` on {platform.machine()} CPU, {torch.get_num_threads()} threads, "
             f"torch {torch.__version__}, seed {opt.seed}.",
             "Cells are PSNR (dB, mean over images) / SSIM of the frame at the middle of a 256-step stream; "
             "raw, window and both networks see the 32 frames around it, interval searches the whole stream. "
             "Outputs are divided by the known light gain before scoring. Both networks are trained once, on "
             f"gains drawn log-uniformly in [{GAIN_RANGE[0]:g}, {GAIN_RANGE[1]:g}], and evaluated at every gain.",
             "", "![PSNR vs light](../resources/spike_camera/psnr_vs_light.png)", ""]
    for task in results.values():
        lines += [f"## {task['name']}", "", "| light gain | " + " | ".join(METHODS) + " | best |",
                  "|" + "---|" * (len(METHODS) + 2)]
        for r in task["sweep"]:
            best = max(METHODS, key=lambda m: r["psnr"][m])
            cells = " | ".join(f"{r['psnr'][m]:.2f} / {r['ssim'][m]:.3f}" for m in METHODS)
            lines.append(f"| {r['gain']:.3g} | {cells} | {best} |")
        lines += ["", "Training (trend: PSNR on 64 test images during training, at gains "
                  + " and ".join(f"{g:g}" for g in TREND_GAINS) + "; window at the same gains: "
                  + ", ".join(f"{task['window_probe'][str(g)]:.2f}" for g in TREND_GAINS) + " dB):", ""]
        for name, info in task["training"].items():
            lines.append(f"- {name}: {info['steps']} steps × batch {info['batch']} in {info['seconds']:.0f} s, "
                         f"loss {info['loss_first']:.4f} → {info['loss_last']:.4f}; {info['settings']}")
            lines.append("  - " + "; ".join(
                f"step {t['step']}: " + " / ".join(f"{t[f'psnr@{g:g}']:.2f}" for g in TREND_GAINS)
                for t in info["trend"]))
        if task.get("operations"):
            lines += ["Operations per reconstruction (one 32-frame window at gain 1):", "",
                      operations_table(task["operations"], unit="image")]
        lines.append("")
    lines += ["![examples](../resources/spike_camera/compare_spike_recon.png)", ""]
    if opt.notes and Path(opt.notes).is_file():
        lines += [Path(opt.notes).read_text().rstrip(), ""]
    path.write_text("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300, help="Adam steps of the Semi-UNet")
    p.add_argument("--snn-steps", type=int, default=100, help="Adam steps of the spiking U-Net")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--cnn-lr", type=float, default=2e-4, help="Semi-UNet Adam learning rate (spikling: 2e-4)")
    p.add_argument("--cnn-init", default="window", choices=("torch", "spikling", "window"),
                   help="SemiUNet init (see spikevision.models.spikecnn.semi_unet)")
    p.add_argument("--cnn-ch", type=int, default=16, help="Semi-UNet width (spikling: 64)")
    p.add_argument("--num-gains", type=int, default=8, help="light levels, log-spaced in [0.05, 1]")
    p.add_argument("--tasks", default="digits", help="comma-separated: digits, scene")
    p.add_argument("--models", default=",".join(NETWORKS), help="comma-separated networks to train")
    p.add_argument("--eval-every", type=int, default=50, help="training-trend probe interval (steps)")
    p.add_argument("--reuse", action="store_true", help="load the networks of an earlier run with these settings")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--notes", default=str(REPO / "benchmarks" / "spike_recon_notes.md"),
                   help="markdown appended to the doc (what was tried)")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--doc-only", action="store_true",
                   help="rewrite the doc and the plot from resources/spike_camera/psnr_vs_light.json (no runs)")
    opt = p.parse_args()
    if opt.doc_only:
        saved = json.loads((OUT / "psnr_vs_light.json").read_text())
        opt.command, opt.seed = saved["command"], saved.get("seed", 0)
        sweep_plot(saved["results"], OUT / "psnr_vs_light.png")
        write_doc(saved["results"], opt, REPO / "docs" / "spike_camera_results.md")
        return
    opt.command = " ".join(["python benchmarks/compare_spike_recon.py",
                            *(a for a in sys.argv[1:] if a not in ("--reuse", "--doc-only"))])
    torch.manual_seed(opt.seed)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    gains = np.geomspace(*GAIN_RANGE, opt.num_gains)
    wanted = [m for m in opt.models.split(",") if m]
    settings = {"Semi-UNet": f"lr {opt.cnn_lr:g}, init {opt.cnn_init}, ch {opt.cnn_ch}, 100·L2 on [−1, 1], vgg off",
                "spiking U-Net": "lr 0.001, L1 + 0.5·SSIM, 4 bins"}

    results, rows = {}, []
    tasks = {"digits": DigitTask, "scene": SceneTask}
    for t_index, key in enumerate(opt.tasks.split(",")):
        task = tasks[key]()
        probe_rng = np.random.default_rng(opt.seed + 50 + t_index)
        probes = {}
        for g in TREND_GAINS:
            streams, truth = task.test_set(g, probe_rng)
            probes[g] = (torch.from_numpy(streams[:64, W0 : W0 + WINDOW].astype(np.float32)), truth[:64])
        window_probe = {str(g): psnr(np.clip(w.mean(1).numpy() / g, 0, 1), t) for g, (w, t) in probes.items()}
        models = {n: m for n, m in build_models(opt).items() if n in wanted}
        training = {}
        for name, model in models.items():
            steps = opt.steps if name == "Semi-UNet" else opt.snn_steps
            tag = (f"{key}_{name.replace(' ', '_')}_s{steps}_b{opt.batch}_seed{opt.seed}"
                   + (f"_lr{opt.cnn_lr:g}_{opt.cnn_init}_ch{opt.cnn_ch}" if name == "Semi-UNet" else ""))
            ckpt = CACHE / f"{tag}.pt"
            if opt.reuse and ckpt.is_file():
                saved = torch.load(ckpt, map_location="cpu", weights_only=True)
                model.load_state_dict(saved["state_dict"])
                info = json.loads(saved["info"])
                print(f"{task.name}: {name} reused from {ckpt}", flush=True)
            else:
                info = train(name, model, task, steps, opt.batch, opt.seed + 10 * t_index, opt.eval_every, probes)
                CACHE.mkdir(parents=True, exist_ok=True)
                torch.save({"state_dict": model.state_dict(), "info": json.dumps(info)}, ckpt)
            info["settings"] = settings[name]
            model.eval()
            training[name] = info
            print(f"{task.name}: {name} {steps} steps × batch {opt.batch} in {info['seconds']:.0f} s, "
                  f"loss {info['loss_first']:.4f} → {info['loss_last']:.4f}", flush=True)
        window = probes[TREND_GAINS[0]][0][:1]
        operations = {name: count_operations(model, lambda m=model, n=name, w=window: m(model_input(n, w))).summary()
                      for name, model in models.items()}
        for name, ops in operations.items():
            print(f"{task.name}: {name} per reconstruction: {format_operations(ops)}", flush=True)
        sweep = []
        for g_index, gain in enumerate(gains):
            streams, truth = task.test_set(float(gain), np.random.default_rng(opt.seed + 100 + t_index))
            recs = reconstruct(streams, float(gain), models)
            cell = {m: scores(recs[m], truth) if m in recs else (float("nan"), float("nan")) for m in METHODS}
            sweep.append({"gain": float(gain), "psnr": {m: v[0] for m, v in cell.items()},
                          "ssim": {m: v[1] for m, v in cell.items()}})
            print(f"{task.name} gain {gain:.3g}: " + ", ".join(f"{m} {v[0]:.2f}/{v[1]:.3f}" for m, v in cell.items()),
                  flush=True)
            if g_index in (0, len(gains) - 1):
                example = 3 if key == "digits" else 0
                rows.append((f"{key} gain {gain:.2g}", truth[example],
                             {m: recs[m][example] if m in recs else truth[example] * 0 for m in METHODS}))
        results[key] = {"name": task.name, "sweep": sweep, "training": training, "window_probe": window_probe,
                        "operations": operations}

    if opt.no_write:
        return
    OUT.mkdir(parents=True, exist_ok=True)
    sweep_plot(results, OUT / "psnr_vs_light.png")
    example_figure(rows, OUT / "compare_spike_recon.png")
    (OUT / "psnr_vs_light.json").write_text(json.dumps(
        {"command": opt.command, "seed": opt.seed, "torch": torch.__version__, "threads": torch.get_num_threads(),
         "results": results}, indent=1))
    doc = REPO / "docs" / "spike_camera_results.md"
    write_doc(results, opt, doc)
    print(f"wrote {doc} and {OUT}/psnr_vs_light.png, psnr_vs_light.json, compare_spike_recon.png")


if __name__ == "__main__":
    main()
