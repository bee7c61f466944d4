"""Writing samples: per-sample PNGs, a PNG grid, event GIFs and time-unfolded event strips.

Images are ``[N, C, H, W]`` in [0, 1]; event samples ``[N, T, 2, H, W]`` in [0, 1] (OFF, ON),
shown ON red / OFF blue; GIFs have one frame per time step with a gray time bar underneath.
Per-sample PNGs are written at native size (they feed the metrics);
grids and GIFs are upscaled for viewing (nearest neighbour) like the training image logger.
"""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
from torchvision.utils import make_grid

from spikevision.callbacks.image_logger import grid_uint8, upscale_small, write_panel
from spikevision.visualize import event_frames_rgb, to_rgb


def _uint8(img: torch.Tensor) -> np.ndarray:
    return (img.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)


def sample_rgb(batch: torch.Tensor, event: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Samples in [0, 1] → (RGB per time step or image, still RGB ``[N, 3, H, W]``). Event
    frames ``[N, T, 2, H, W]``: ON red / OFF blue, the still image overlays all T steps."""
    if event:
        rgb = event_frames_rgb(batch.clamp(0, 1), gain=1.0)
        return rgb, rgb.amax(1)
    rgb = to_rgb(batch)
    return rgb, rgb


def with_time_bar(frames: torch.Tensor, height: int = 2) -> torch.Tensor:
    """Append a progress bar below each frame of ``[..., T, 3, H, W]`` (step t fills (t+1)/T of
    the width in gray), so every GIF frame is distinct and shows which time step is on screen."""
    steps, width = frames.shape[-4], frames.shape[-1]
    filled = torch.arange(width) < ((torch.arange(steps) + 1) * width / steps).ceil().view(-1, 1)  # [T, W]
    bar = (filled.float() * 0.6).view(steps, 1, 1, width).expand(steps, 3, height, width)
    bar = bar.expand(*frames.shape[:-4], steps, 3, height, width).to(frames)
    return torch.cat([frames, bar], dim=-2)


def unfold_strip(frames_rgb: torch.Tensor, padding: int = 2) -> torch.Tensor:
    """One event sample's T RGB frames ``[T, 3, H, W]`` side by side → ``[3, H', W']``."""
    return make_grid(frames_rgb, nrow=frames_rgb.shape[0], padding=padding, pad_value=0.9)


class SampleWriter:
    """Write batches of samples under ``out_dir`` as they arrive; ``finish()`` writes the grids."""

    def __init__(self, out_dir: str | Path, event: bool, time_unfold: bool = False, nrow: int = 8,
                 fps: float = 4.0, min_size: int = 96, grid_max: int = 64) -> None:
        self.out_dir = Path(out_dir)
        self.event, self.time_unfold, self.nrow = event, time_unfold, nrow
        self.fps, self.min_size, self.grid_max = fps, min_size, grid_max
        self.count = 0
        self._grid: list[torch.Tensor] = []
        self.paths: dict[str, Path] = {}
        (self.out_dir / "samples").mkdir(parents=True, exist_ok=True)

    def add(self, batch: torch.Tensor) -> None:
        """Append samples: ``[N, C, H, W]`` images or ``[N, T, 2, H, W]`` event frames."""
        batch = batch.detach().float().cpu()
        if self.event and (batch.dim() != 5 or batch.shape[2] not in (1, 2)):
            raise ValueError(f"event samples must be [N, T, 2, H, W], got {tuple(batch.shape)}")
        rgb, still = sample_rgb(batch, self.event)
        for i in range(batch.shape[0]):
            name = f"sample_{self.count:06d}"
            iio.imwrite(self.out_dir / "samples" / f"{name}.png", _uint8(still[i]))
            if self.event:
                gif = self.out_dir / "gifs" / f"{name}.gif"
                gif.parent.mkdir(exist_ok=True)
                frames = with_time_bar(upscale_small(rgb[i], self.min_size))
                iio.imwrite(gif, np.stack([_uint8(f) for f in frames]), duration=1000.0 / self.fps, loop=0)
                if self.time_unfold:
                    strip = self.out_dir / "unfold" / f"{name}.png"
                    strip.parent.mkdir(exist_ok=True)
                    iio.imwrite(strip, _uint8(unfold_strip(upscale_small(rgb[i], self.min_size))))
            self.count += 1
        kept = sum(len(g) for g in self._grid)
        if kept < self.grid_max:
            self._grid.append(rgb[: self.grid_max - kept])

    def finish(self) -> dict[str, Path]:
        """Write ``grid.png`` (and ``grid.gif`` / ``unfold_grid.png`` for events); return paths."""
        if not self._grid:
            raise ValueError("no samples were written")
        rgb = torch.cat(self._grid)
        nrow = min(self.nrow, rgb.shape[0])
        if self.event:
            self.paths["grid"] = write_panel(self.out_dir / "grid.png", rgb.amax(1), nrow, min_size=self.min_size)
            self.paths["gif"] = write_panel(self.out_dir / "grid.gif", with_time_bar(upscale_small(
                rgb, self.min_size)), nrow, fps=self.fps)
            if self.time_unfold:
                strips = torch.stack([unfold_strip(upscale_small(s, self.min_size)) for s in rgb[:16]])
                self.paths["unfold"] = self.out_dir / "unfold_grid.png"
                iio.imwrite(self.paths["unfold"], grid_uint8(strips, 1))
        else:
            self.paths["grid"] = write_panel(self.out_dir / "grid.png", rgb, nrow, min_size=self.min_size)
        self.paths["samples"] = self.out_dir / "samples"
        return self.paths
