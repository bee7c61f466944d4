"""Stage exports: small self-describing files that later stages and the pipeline load.

Each SpikeCLIP stage writes ``{format, kind, ...payload}`` with ``torch.save`` (atomically) when
its run ends, at a stable path set in the config (``export_path``), so the next stage's config
can point at it. Kinds: ``clip`` (stage 0), ``recon`` (stages 1 and 3a), ``prompts`` (stage 2),
``refiner`` (stage 3b), ``combined`` (the inference checkpoint). Payloads hold tensors and plain
types only: exports are read back with ``weights_only=True``, so a file from elsewhere cannot
run code when loaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from spikevision.errors import CheckpointError, CheckpointNotFoundError
from spikevision.safe_load import load_weights_only

FORMAT = "spikevision-spikeclip"
KINDS = ("clip", "recon", "prompts", "refiner", "combined")


class ExportFormatError(CheckpointError):
    """A file is not a SpikeCLIP stage export of the expected kind."""


def save_export(path: str | Path, kind: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as a ``kind`` export (temporary file + rename)."""
    if kind not in KINDS:
        raise ValueError(f"export kind must be one of {KINDS}, got '{kind}'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, "kind": kind, **payload}, tmp)
    os.replace(tmp, path)
    return path


def load_export(path: str | Path, kind: str | tuple[str, ...] | None = None) -> dict[str, Any]:
    """Read an export, checking its format and (optionally) kind; clear errors otherwise."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointNotFoundError(
            f"SpikeCLIP export not found: {path}. Run the stage that writes it first "
            "(README, section Reconstruction (SpikeCLIP)) or set the path in the config."
        )
    data = load_weights_only(path, "SpikeCLIP export")  # tensors and plain types only
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ExportFormatError(f"{path} is not a SpikeCLIP export (a Lightning .ckpt? use the stage's export file)")
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds and data["kind"] not in kinds:
        raise ExportFormatError(f"{path} holds a '{data['kind']}' export, expected {' or '.join(kinds)}")
    return data


def strip_prefix(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Entries of ``state`` under ``prefix`` with the prefix removed."""
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
