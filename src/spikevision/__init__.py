"""spikevision: spiking neural networks for neuromorphic vision (event and spike cameras)."""

__version__ = "0.1.0"
