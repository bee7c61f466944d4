"""spikling's spike-camera restorer: a Semi-UNet CNN from a spike window to an image."""

from spikevision.models.spikecnn.semi_unet import SemiUNet
from spikevision.models.spikecnn.spikecnn_module import SpikeCnnModel

__all__ = ["SemiUNet", "SpikeCnnModel"]
