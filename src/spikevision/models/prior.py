"""Old name of :mod:`spikevision.models.transformer`, kept so saved run configs load."""

from spikevision.models.transformer import SnnGPT, SnnTransformerModel  # noqa: F401
from spikevision.models.transformer.transformer_module import SnnTransformerPrior  # noqa: F401
