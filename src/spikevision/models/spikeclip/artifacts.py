"""Stage exports: small self-describing files that later stages and the pipeline load.

Each SpikeCLIP stage writes ``{format, kind, ...payload}`` with ``torch.save`` (atomically) when
its run ends, from its best checkpoint by its ``monitor``
(:class:`~spikevision.models.spikeclip.stage_base.ExportingStage`), at a stable path set in the
config (``export_path``), so the next stage's config can point at it. Reading and writing are
:mod:`spikevision.stages`' (the one hand-off mechanism). Kinds: ``clip`` (stage 0), ``recon``
(stages 1 and 3a), ``prompts`` (stage 2), ``refiner`` (stage 3b), ``combined`` (the inference
checkpoint). Payloads hold tensors and plain types only: exports are read back with
``weights_only=True``, so a file from elsewhere cannot run code when loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spikevision.stages import ExportFormatError, read_export, write_export

FORMAT = "spikevision-spikeclip"
KINDS = ("clip", "recon", "prompts", "refiner", "combined")
MISSING_HINT = ("Run the stage that writes it first (README, section Reconstruction (SpikeCLIP)) "
                "or set the path in the config.")

__all__ = ["FORMAT", "KINDS", "ExportFormatError", "load_export", "save_export"]


def save_export(path: str | Path, kind: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as a ``kind`` export (temporary file + rename)."""
    if kind not in KINDS:
        raise ValueError(f"export kind must be one of {KINDS}, got '{kind}'")
    return write_export(path, FORMAT, kind, payload)


def load_export(path: str | Path, kind: str | tuple[str, ...] | None = None) -> dict[str, Any]:
    """Read an export (a path, or a glob: the newest match), checking its format and
    (optionally) kind; clear errors otherwise (:func:`spikevision.stages.read_export`)."""
    return read_export(path, FORMAT, kind, "SpikeCLIP", MISSING_HINT)
