"""Spiking reconstruction: event/spike streams → images (SpikeCLIP's coarse stage)."""

from spikevision.models.recon.recon_module import SnnReconModel
from spikevision.models.recon.snn_unet import SnnUNet

__all__ = ["SnnReconModel", "SnnUNet"]
