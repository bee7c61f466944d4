"""Stage 1 of generation: the spiking VQ-VAE with a temporal (or vanilla) codebook."""

from spikevision.models.vqvae.networks import DecoderSnn, EncoderSnn
from spikevision.models.vqvae.quantizer import TemporalQuantizer, VanillaQuantizer, make_quantizer
from spikevision.models.vqvae.vqmodel import SnnVQModel

__all__ = ["DecoderSnn", "EncoderSnn", "SnnVQModel", "TemporalQuantizer", "VanillaQuantizer",
           "make_quantizer"]
