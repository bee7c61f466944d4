"""Training losses shared by the model families."""

from spikevision.losses.pixel import PixelLoss

__all__ = ["PixelLoss"]
