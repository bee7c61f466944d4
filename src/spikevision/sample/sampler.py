"""Generate samples from a trained stage-2 prior (any device) and write them to disk."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from spikevision.errors import ConfigError
from spikevision.sample.writer import SampleWriter
from spikevision.stages import build_model, resolve_run


@dataclass
class SampleSettings:
    """What to sample. ``labels``: class ids for a class-conditional prior (cycled over samples;
    ``None`` → 0, 1, …, n_classes−1 repeated)."""

    num_samples: int = 64
    batch_size: int = 16
    code_h: int | None = None
    code_w: int | None = None
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    seed: int = 42
    time_unfold: bool = False
    labels: list[int] | None = None
    use_cache: bool = True
    fps: float = 4.0

    def __post_init__(self) -> None:
        if self.num_samples < 1 or self.batch_size < 1:
            raise ConfigError("sample.num_samples and sample.batch_size must be ≥ 1")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ConfigError(f"sample.top_p must be in (0, 1], got {self.top_p}")


def pick_device(device: str | None) -> torch.device:
    """``auto``/None → CUDA if available, else CPU; otherwise the named device."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_prior(spec: Mapping[str, Any], device: torch.device) -> torch.nn.Module:
    """The stage-2 model of ``spec`` (``run`` dir/glob, or ``config`` + ``ckpt``) on ``device``."""
    model = build_model(dict(spec), key_path="sample")
    if not hasattr(model, "sample_codes"):
        raise ConfigError(f"sample: {type(model).__name__} is not a stage-2 prior (no sample_codes)")
    return model.to(device).eval()


def generate(model: torch.nn.Module, settings: SampleSettings, writer: SampleWriter,
             progress: bool = True) -> dict[str, Path]:
    """Sample ``settings.num_samples`` in batches, decode and write them; return the written paths."""
    gen = torch.Generator(device=model.device).manual_seed(settings.seed)
    code_shape = (settings.code_h or model.code_shape[0], settings.code_w or model.code_shape[1])
    steps = code_shape[0] * code_shape[1]
    batches = math.ceil(settings.num_samples / settings.batch_size)
    labels_all = None
    if model.conditional:
        base = settings.labels or list(range(model.n_classes))
        labels_all = torch.tensor([base[i % len(base)] for i in range(settings.num_samples)])
    bar = tqdm(total=batches * steps, desc="sampling tokens", disable=not progress, unit="tok")
    done = 0
    for _ in range(batches):
        n = min(settings.batch_size, settings.num_samples - done)
        labels = labels_all[done : done + n] if labels_all is not None else None
        codes = model.sample_codes(n, code_shape, labels, settings.temperature, settings.top_k, settings.top_p,
                                   settings.use_cache, gen, on_step=lambda _i: bar.update(1))
        writer.add(model.decode_codes(codes))
        done += n
    bar.close()
    return writer.finish()


def default_out_dir(spec: Mapping[str, Any], settings: SampleSettings) -> Path:
    """``<run>/samples/top_k_<k>_top_p_<p>_temp_<t>_seed_<s>`` (taming's naming), or ./samples."""
    tag = f"top_k_{settings.top_k}_top_p_{settings.top_p}_temp_{settings.temperature:g}_seed_{settings.seed}"
    if spec.get("run"):
        return resolve_run(spec["run"]) / "samples" / tag
    return Path("samples") / tag
