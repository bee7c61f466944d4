"""Lightning callbacks and plugins used by the trainer CLI."""

from spikevision.callbacks.atomic_checkpoint_io import AtomicCheckpointIO
from spikevision.callbacks.firing_rates import FiringRates
from spikevision.callbacks.image_logger import ImageLogger
from spikevision.callbacks.setup_run import SetupRun
from spikevision.callbacks.signal_checkpoint import SignalCheckpoint
from spikevision.callbacks.training_curves import TrainingCurves

__all__ = ["AtomicCheckpointIO", "FiringRates", "ImageLogger", "SetupRun", "SignalCheckpoint", "TrainingCurves"]
