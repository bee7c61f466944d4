"""Lightning callbacks and plugins used by the trainer CLI."""

from spikevision.callbacks.atomic_checkpoint_io import AtomicCheckpointIO
from spikevision.callbacks.image_logger import ImageLogger
from spikevision.callbacks.setup_run import SetupRun
from spikevision.callbacks.signal_checkpoint import SignalCheckpoint

__all__ = ["AtomicCheckpointIO", "ImageLogger", "SetupRun", "SignalCheckpoint"]
