"""Stage 1 of generation: the spiking VQ-VAE with a temporal (or vanilla) codebook."""

from spikevision.models.vqvae.networks import SnnDecoder, SnnEncoder
from spikevision.models.vqvae.quantizer import TemporalQuantizer, VanillaQuantizer, make_quantizer
from spikevision.models.vqvae.vqvae_module import SnnVQModel

__all__ = ["SnnDecoder", "SnnEncoder", "SnnVQModel", "TemporalQuantizer", "VanillaQuantizer",
           "make_quantizer"]
