"""Old home of the firing-rate monitor; it is :mod:`spikevision.snn.firing` (every family's)."""

from spikevision.snn.firing import FiringRateMonitor, mean_output  # noqa: F401
