"""Plot a run's training curves from its CSV log when fitting ends (rank 0).

Reads every ``metrics.csv`` of the run's CSVLogger (one per invocation, so resumed runs are
joined) and writes ``<logdir>/curves/training_curves.png``: one panel per metric group
(``loss``, ``acc``, ``psnr`` …) with train and validation series against the global step.
Per-layer firing rates (``*/firing/<layer>``) are left to their own bar charts
(:mod:`spikevision.callbacks.firing_rates`); ``*/firing_mean`` is plotted.

On by default for every family (the trainer CLI's ``default_callbacks``; a config disables it
with ``lightning.callbacks.training_curves: null``).
"""

from __future__ import annotations

import csv
import logging
import math
from collections import defaultdict
from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.loggers import CSVLogger

from spikevision.visualize import pyplot, save_figure

log = logging.getLogger(__name__)


def read_metrics(csv_files: list[Path]) -> dict[str, list[tuple[int, float]]]:
    """``{metric: [(step, value), ...]}`` from Lightning CSV logs (empty cells skipped)."""
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for path in csv_files:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                step = row.get("step")
                if step in (None, ""):
                    continue
                for key, value in row.items():
                    if key in ("step", "epoch") or value in (None, ""):
                        continue
                    try:
                        v = float(value)
                    except ValueError:
                        continue
                    if math.isfinite(v):
                        series[key].append((int(float(step)), v))
    return {k: sorted(v) for k, v in series.items()}


def group_name(metric: str) -> str:
    """``train/class_loss`` → ``class_loss``; groups train/val/test series of one quantity."""
    return metric.split("/", 1)[-1]


def plot_curves(series: dict[str, list[tuple[int, float]]], out: Path, title: str = "") -> Path | None:
    """One panel per metric group; None when there is nothing to plot."""
    plt = pyplot()

    groups: dict[str, list[str]] = defaultdict(list)
    for name in sorted(series):
        if name.startswith(("lr-", "train/logit_scale")) or "/firing/" in name or not series[name]:
            continue
        groups[group_name(name)].append(name)
    if not groups:
        return None
    cols = min(3, len(groups))
    rows = math.ceil(len(groups) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, (group, names) in zip(axes.flat, sorted(groups.items())):
        for name in names:
            steps, values = zip(*series[name])
            style = "-" if len(steps) > 1 else "o"
            ax.plot(steps, values, style, label=name.split("/", 1)[0] if "/" in name else name, ms=4)
        ax.set_title(group, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    return save_figure(fig, out)


class TrainingCurves(pl.Callback):
    """Write ``<logdir>/curves/training_curves.png`` from the CSV logs at the end of fitting."""

    def __init__(self, filename: str = "training_curves.png") -> None:
        super().__init__()
        self.filename = filename
        self.path: Path | None = None

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.global_rank != 0:
            return
        csv_loggers = [lg for lg in trainer.loggers if isinstance(lg, CSVLogger)]
        if not csv_loggers:
            return
        for lg in csv_loggers:
            lg.save()
        root = Path(csv_loggers[0].root_dir)
        files = sorted(root.glob("*/metrics.csv"))
        logdir = Path(trainer.default_root_dir)
        self.path = plot_curves(read_metrics(files), logdir / "curves" / self.filename, title=logdir.name)
        if self.path is not None:
            log.info("training curves: %s", self.path)
