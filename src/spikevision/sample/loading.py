"""Building trained models from run directories, configs and checkpoints (stage-2 and sampling).

Kept for backward compatibility: the hand-off between stages lives in :mod:`spikevision.stages`
(run directories, globs, checkpoints, export files, key matching), re-exported here.
"""

from __future__ import annotations

from spikevision.safe_load import read_state_dict
from spikevision.stages import build_model, load_matching_state, model_config, resolve_run

__all__ = ["build_model", "load_matching_state", "model_config", "read_state_dict", "resolve_run"]
