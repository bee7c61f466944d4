"""Simulators: image/video → events (ESIM-like, N-MNIST saccades) and → spike-camera streams."""

from spikevision.simulate.moving_scene import render_moving_scene
from spikevision.simulate.saccade_events import (
    saccade_path,
    simulate_saccade_events,
    simulate_saccade_events_batch,
    simulate_video_events,
)
from spikevision.simulate.spike_camera import simulate_spikes

__all__ = [
    "render_moving_scene",
    "saccade_path",
    "simulate_saccade_events",
    "simulate_saccade_events_batch",
    "simulate_spikes",
    "simulate_video_events",
]
