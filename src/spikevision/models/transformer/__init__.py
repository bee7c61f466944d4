"""Stage 2 of generation: the spiking GPT prior over stage-1 code indices."""

from spikevision.models.transformer.gpt import SnnGPT
from spikevision.models.transformer.transformer_module import SnnTransformerModel

__all__ = ["SnnGPT", "SnnTransformerModel"]
