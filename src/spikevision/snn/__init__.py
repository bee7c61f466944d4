"""SNN building blocks: spikingjelly LIF neurons (multi-step), spiking conv blocks, coding."""

from spikevision.snn.blocks import SnnAttnBlock, SnnDownsample, SnnResnetBlock, SnnUpsample
from spikevision.snn.coding import decode_output, encode_input, membrane_readout
from spikevision.snn.neurons import (
    LIF_DEFAULTS,
    NEURON_KINDS,
    LIFNonlinearity,
    make_lif,
    make_neuron,
    reset_states,
)
from spikevision.snn.time_distributed import TimeDistributed

__all__ = [
    "LIF_DEFAULTS",
    "LIFNonlinearity",
    "SnnAttnBlock",
    "SnnDownsample",
    "SnnResnetBlock",
    "SnnUpsample",
    "TimeDistributed",
    "decode_output",
    "encode_input",
    "make_lif",
    "make_neuron",
    "NEURON_KINDS",
    "membrane_readout",
    "reset_states",
]
