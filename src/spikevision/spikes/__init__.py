"""Spike-camera reconstructions: window (TFP) and interval (TFI) methods."""

from spikevision.spikes.interval import tfi, tfi_video
from spikevision.spikes.window import tfp, tfp_video

__all__ = ["tfi", "tfi_video", "tfp", "tfp_video"]
