"""Evidence: classical spike-camera reconstructions vs the trained Semi-UNet and the spiking U-Net.

On simulated spike streams with ground truth — N-Digits (static 34×34 digits) and a procedural
moving scene (32×32, shapes moving 0.05 px per step) — each method reconstructs the frame at the
middle of a 256-step stream:

- raw: the spike frame itself; window (TFP): mean over the 32 frames around it;
- interval (TFI): 1 / inter-spike interval, searching the whole 256-step stream;
- Semi-UNet (:class:`SpikeCnnModel`, spikling's restorer, L2 loss — the VGG term is off offline)
  and the spiking U-Net (:class:`SnnReconModel`, 4 spike-rate bins of 8 frames) see only the
  same 32-frame window, as in spikling.

Light: each pixel receives ``gain · I`` per step (I ∈ [0, 1] the scene, integrate-and-fire
threshold 1). "Bright" is gain 1, "dim" gain 0.1 (a white pixel fires every 10 steps, ~3 times per
window). Every method estimates the received light ``gain · I``; outputs are divided by the known
gain and clipped to [0, 1] before PSNR/SSIM against I. Both networks are trained here, from
scratch, on the training digits / other scenes with gains drawn log-uniformly in [0.05, 1]
(the target is the received light), for the same number of Adam steps.

    .venv/bin/python benchmarks/compare_spike_recon.py            # 10–30 CPU minutes on 2 shared cores
    .venv/bin/python benchmarks/compare_spike_recon.py --steps 20 --no-write   # smoke run

Writes docs/spike_camera_results.md and resources/spike_camera/compare_spike_recon.png.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from spikevision.data.ndigits_source import load_ndigits
from spikevision.models.recon import SnnReconModel
from spikevision.models.spikecnn import SpikeCnnModel
from spikevision.simulate import render_moving_scene, simulate_spikes
from spikevision.spikes import tfi, tfp

REPO = Path(__file__).resolve().parents[1]
STREAM, WINDOW, CENTER = 256, 32, 128
W0 = CENTER - WINDOW // 2  # the 32-frame window [112, 144) around the centre
GAINS = {"bright": 1.0, "dim": 0.1}
TRAIN_GAIN_RANGE = (0.05, 1.0)
SCENE_SIZE, SCENE_SPEED = 32, 0.05
METHODS = ("raw", "window", "interval", "Semi-UNet", "spiking U-Net")


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

    def __init__(self) -> None:
        src = load_ndigits()
        self.train_images = src.images[src.indices("train")]
        self.test_images = src.images[src.indices("test")][:128]

    def train_batch(self, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        images = self.train_images[rng.integers(0, len(self.train_images), batch)]
        gains = np.exp(rng.uniform(*np.log(TRAIN_GAIN_RANGE), batch))
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
        gains = np.exp(rng.uniform(*np.log(TRAIN_GAIN_RANGE), batch))
        spikes = simulate_batch(clips, gains, rng)
        target = clips[:, WINDOW // 2] * gains[:, None, None]
        rot = rng.integers(0, 4)  # cheap augmentation, identical for input and target
        return np.rot90(spikes, rot, axes=(-2, -1)).copy(), np.rot90(target, rot, axes=(-2, -1)).copy()

    def test_set(self, gain: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return simulate_batch(self.test, np.full(len(self.test), gain), rng), self.test[:, CENTER]


# ----------------------------------------------------------------------------- models


def build_models() -> dict[str, torch.nn.Module]:
    cnn = SpikeCnnModel(
        network={"target": "spikevision.models.spikecnn.SemiUNet",
                 "params": {"in_channels": WINDOW, "ch": 16}},
        lambda_l2=100.0, lambda_vgg=0.0, learning_rate=2e-4,
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


def train(name: str, model: torch.nn.Module, task, steps: int, batch: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    opt = model.configure_optimizers()
    model.train()
    losses, start = [], time.perf_counter()
    for _ in range(steps):
        spikes, target = task.train_batch(batch, rng)
        x = model_input(name, torch.from_numpy(spikes).float())
        pred = model(x)
        loss = model_loss(name, model, pred, torch.from_numpy(target).float()[:, None])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    k = max(1, steps // 10)
    return {"seconds": time.perf_counter() - start, "loss_first": float(np.mean(losses[:k])),
            "loss_last": float(np.mean(losses[-k:]))}


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
        preds = [model(model_input(name, window[i : i + 32])) for i in range(0, len(window), 32)]
        out[name] = torch.cat(preds)[:, 0].numpy()
    return {k: np.clip(v / gain, 0.0, 1.0) for k, v in out.items()}


def scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    p, t = torch.from_numpy(pred).float()[:, None], torch.from_numpy(truth).float()[:, None]
    psnr = peak_signal_noise_ratio(p, t, data_range=1.0, reduction="none", dim=(1, 2, 3)).mean()
    ssim = structural_similarity_index_measure(p, t, data_range=1.0)
    return float(psnr), float(ssim)


def figure(rows: list[tuple[str, np.ndarray, dict[str, np.ndarray]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = ("ground truth", *METHODS)
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(1.6 * len(cols), 1.75 * len(rows)))
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=150, help="Adam steps per network and dataset")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-write", action="store_true", help="print only")
    opt = p.parse_args()
    torch.manual_seed(opt.seed)
    torch.set_num_threads(min(2, torch.get_num_threads()))

    results: list[tuple[str, str, dict[str, tuple[float, float]]]] = []
    training: list[str] = []
    rows = []
    for t_index, task in enumerate((DigitTask(), SceneTask())):
        models = build_models()
        for name, model in models.items():
            info = train(name, model, task, opt.steps, opt.batch, seed=opt.seed + 10 * t_index)
            line = (f"{task.name}: {name} {opt.steps} steps × batch {opt.batch} in {info['seconds']:.0f} s, "
                    f"loss {info['loss_first']:.4f} → {info['loss_last']:.4f}")
            print(line, flush=True)
            training.append(line)
        for cond, gain in GAINS.items():
            streams, truth = task.test_set(gain, np.random.default_rng(opt.seed + 100 + t_index))
            recs = reconstruct(streams, gain, models)
            table = {m: scores(recs[m], truth) for m in METHODS}
            results.append((task.name, f"{cond} (gain {gain:g})", table))
            print(f"{task.name} {cond}: " + ", ".join(f"{m} {v[0]:.2f} dB/{v[1]:.3f}" for m, v in table.items()),
                  flush=True)
            example = 3 if t_index == 0 else 0
            rows.append((f"{'digits' if t_index == 0 else 'scene'} {cond}", truth[example],
                         {m: recs[m][example] for m in METHODS}))

    header = "| data | light | " + " | ".join(METHODS) + " | best |"
    lines = [header, "|" + "---|" * (len(METHODS) + 3)]
    for data, cond, table in results:
        best = max(table, key=lambda m: table[m][0])
        cells = " | ".join(f"{table[m][0]:.2f} / {table[m][1]:.3f}" for m in METHODS)
        lines.append(f"| {data} | {cond} | {cells} | {best} |")
    print("\n".join(lines))
    if opt.no_write:
        return
    fig_path = REPO / "resources" / "spike_camera" / "compare_spike_recon.png"
    figure(rows, fig_path)
    doc = REPO / "docs" / "spike_camera_results.md"
    doc.write_text(
        "# Spike-camera reconstruction: classical methods vs trained networks\n\n"
        "Produced by `benchmarks/compare_spike_recon.py` (see its docstring for the setup) on "
        f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}, seed {opt.seed}.\n"
        "Cells are PSNR (dB, mean over images) / SSIM of the frame at the middle of a 256-step "
        "stream; raw, window and both networks see the 32 frames around it, interval searches the "
        "whole stream. Outputs are divided by the known light gain before scoring.\n\n"
        + "\n".join(lines) + "\n\nTraining (same data, steps and batch for both networks):\n\n"
        + "\n".join(f"- {t}" for t in training)
        + "\n\n![examples](../resources/spike_camera/compare_spike_recon.png)\n"
    )
    print(f"wrote {doc} and {fig_path}")


if __name__ == "__main__":
    main()
