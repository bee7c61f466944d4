"""Event-stream representations (frames, voxel grid), numpy per sample and batched torch."""

from spikevision.events.frames import events_to_tensors, to_frames, to_frames_torch
from spikevision.events.voxel_grid import to_voxel_grid, to_voxel_grid_torch

__all__ = [
    "events_to_tensors",
    "to_frames",
    "to_frames_torch",
    "to_voxel_grid",
    "to_voxel_grid_torch",
]
