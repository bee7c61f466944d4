"""Old name of :mod:`spikevision.models.vqvae.vqvae_module`, kept so saved run configs load."""

from spikevision.models.vqvae.vqvae_module import DEFAULT_LOSS, OUTPUTS, SnnVQModel, event_rgb  # noqa: F401
