"""Log the firing rate of every spiking layer at validation and test (every model family).

During each validation (and test) epoch a :class:`~spikevision.snn.firing.FiringRateMonitor`
records the mean output of each spiking layer of the LightningModule (spikingjelly neurons,
JSCC's ``SpikingActivation``; frozen earlier stages included when they run). At the end of the
epoch it logs

- ``<split>/firing/<layer>`` (spikes per neuron and time step) and ``<split>/firing_mean`` (their
  unweighted mean over layers) to every logger, averaged over ranks (``sync_dist``);
- a TensorBoard histogram ``<split>/firing_rates`` of the per-layer rates (rank 0);
- a horizontal bar chart ``<logdir>/firing_rates/<split>-epoch-XXXX-step-YYYYYY.png`` (rank 0,
  matplotlib Agg; rank 0's rates).

The hooks exist only between the start and the end of those epochs: training steps run without
them. The sanity-check validation is skipped. A model with no spiking layer is left alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
from lightning.pytorch.loggers import TensorBoardLogger

from spikevision.snn.firing import FiringRateMonitor
from spikevision.visualize import pyplot, save_figure

log = logging.getLogger(__name__)


def plot_firing_rates(rates: dict[str, float], out: Path, title: str = "") -> Path:
    """Horizontal bar chart of ``{layer: rate}`` written to ``out`` (PNG); returns ``out``."""
    plt = pyplot()

    names = list(rates)
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.22 * len(names)))
    ax.barh(range(len(names)), [rates[n] for n in names], color="tab:blue")
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.invert_yaxis()  # first layer on top
    mean = sum(rates.values()) / len(rates)
    ax.axvline(mean, color="tab:red", lw=1, ls="--", label=f"mean {mean:.3f}")
    ax.set_xlabel("firing rate (spikes per neuron and time step)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if title:
        ax.set_title(title, fontsize=9)
    return save_figure(fig, out)


class FiringRates(pl.Callback):
    """See the module docstring. ``histogram``/``plot``: the TensorBoard histogram and the PNG;
    ``dirname``: the PNG folder under the run directory."""

    def __init__(self, histogram: bool = True, plot: bool = True, dirname: str = "firing_rates") -> None:
        super().__init__()
        self.histogram, self.plot, self.dirname = histogram, plot, dirname
        self.monitor: FiringRateMonitor | None = None
        self.last_rates: dict[str, float] = {}
        self.last_plot: Path | None = None

    # ------------------------------------------------------------------ recording
    def _start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self.monitor = FiringRateMonitor(pl_module)  # found afresh: cheap, and follows model changes
        if self.monitor.layers:
            self.monitor.enable()
        else:
            self.monitor = None

    def _finish(self, trainer: pl.Trainer, pl_module: pl.LightningModule, split: str) -> None:
        monitor, self.monitor = self.monitor, None
        if monitor is None:
            return
        monitor.disable()
        rates = monitor.rates()
        monitor.reset()
        if not rates:
            return
        self.last_rates = rates
        mean = sum(rates.values()) / len(rates)
        pl_module.log_dict({f"{split}/firing/{k}": v for k, v in rates.items()}, sync_dist=True)
        pl_module.log(f"{split}/firing_mean", mean, sync_dist=True)
        if trainer.global_rank != 0:
            return
        if self.histogram:
            for lg in trainer.loggers:
                if isinstance(lg, TensorBoardLogger):
                    lg.experiment.add_histogram(f"{split}/firing_rates", np.asarray(list(rates.values())),
                                                trainer.global_step)
        if self.plot:
            name = f"{split}-epoch-{trainer.current_epoch:04}-step-{trainer.global_step:06}.png"
            title = f"{Path(trainer.default_root_dir).name}: {split}, epoch {trainer.current_epoch}, " \
                    f"step {trainer.global_step}"
            self.last_plot = plot_firing_rates(rates, Path(trainer.default_root_dir) / self.dirname / name, title)

    # ------------------------------------------------------------------ hooks
    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start(trainer, pl_module)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._finish(trainer, pl_module, "val")

    def on_test_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start(trainer, pl_module)

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._finish(trainer, pl_module, "test")

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if self.monitor is not None:  # never leave hooks behind
            self.monitor.disable()
            self.monitor = None
