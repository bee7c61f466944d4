"""Read user-supplied ``.ckpt``/``.pt`` files without running code from them.

Every file a user passes in (a checkpoint for ``sample``, ``spike_convert``, a stage-2
``first_stage``, a SpikeCLIP export) is read with ``torch.load(weights_only=True)``: tensors,
containers and plain Python types only. A pickle that names any other global (e.g. ``os.system``
in a ``__reduce__``) is refused before anything in it runs.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import torch

from spikevision.errors import CheckpointError, CheckpointNotFoundError

_GLOBAL = re.compile(r"(?:unsupported GLOBAL|Unsupported global: GLOBAL)\s+(\S+)", re.IGNORECASE)


def load_weights_only(path: str | Path, what: str = "checkpoint") -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)`` with one-line errors naming
    the file: :class:`CheckpointNotFoundError` when missing, :class:`CheckpointError` when corrupt,
    truncated, not a PyTorch file, or holding objects other than tensors and plain types."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointNotFoundError(f"{what} {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = _GLOBAL.search(str(err))
        if found:
            raise CheckpointError(
                f"refused to load {what} {path}: it holds a Python object ({found.group(1)}) besides tensors "
                "and plain types, and unpickling it could run code. Only load files you trust; "
                "re-save the weights as a plain state dict."
            ) from None
        raise CheckpointError(f"cannot read {what} {path}: not a PyTorch file, or corrupt") from None
    except Exception as err:  # zip/EOF/tensor-storage errors of truncated or corrupt files
        first = str(err).strip().split("\n")[0][:200] or "unexpected end of file"
        raise CheckpointError(f"cannot read {what} {path}: corrupt or truncated ({type(err).__name__}: {first})"
                              ) from None


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of a Lightning checkpoint (or a bare state dict file), read with
    :func:`load_weights_only`; clear errors naming the file."""
    ckpt = load_weights_only(path)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds no state dict (found {type(ckpt).__name__})")
    return state
