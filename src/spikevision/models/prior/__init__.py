"""Stage 2 of generation: the spiking GPT prior over stage-1 code indices."""

from spikevision.models.prior.gpt import SnnGPT
from spikevision.models.prior.transformer_module import SnnTransformerPrior

__all__ = ["SnnGPT", "SnnTransformerPrior"]
