"""Operation counts of a JSCC network (MACs, synaptic operations, energy): the shared
:mod:`spikevision.metrics.synops`, under the names the JSCC family has used."""

from spikevision.metrics.synops import (  # noqa: F401
    COUNTED,
    LayerOps,
    OpCount,
    count_operations,
    is_spike_tensor,
    layer_macs,
)
