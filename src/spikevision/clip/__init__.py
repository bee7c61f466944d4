"""CLIP backbone for SpikeCLIP: open_clip loading (tags, local files, offline errors), frozen
guidance wrapper, differentiable preprocessing, caption templates."""

from spikevision.clip.backbone import FrozenClip
from spikevision.clip.loading import (
    load_open_clip,
    register_model_configs,
    resolve_pretrained,
    save_open_clip_checkpoint,
)
from spikevision.clip.offline import WeightsUnavailableError, network_reachable
from spikevision.clip.preprocess import ClipPreprocess
from spikevision.clip.prompts import CAPTION_TEMPLATES, DEFAULT_TEMPLATES, format_prompts, readable

__all__ = [
    "CAPTION_TEMPLATES",
    "DEFAULT_TEMPLATES",
    "ClipPreprocess",
    "FrozenClip",
    "WeightsUnavailableError",
    "format_prompts",
    "load_open_clip",
    "network_reachable",
    "readable",
    "register_model_configs",
    "resolve_pretrained",
    "save_open_clip_checkpoint",
]
