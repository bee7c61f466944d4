"""Turning representations and reconstructions into displayable RGB tensors in [0, 1]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch


def to_rgb(images: torch.Tensor) -> torch.Tensor:
    """``[..., 1 or 3, H, W]`` → ``[..., 3, H, W]`` (grayscale replicated)."""
    if images.shape[-3] == 3:
        return images
    if images.shape[-3] == 1:
        return images.expand(*images.shape[:-3], 3, *images.shape[-2:])
    raise ValueError(f"cannot display {images.shape[-3]} channels as RGB")


def event_frames_rgb(frames: torch.Tensor, gain: float | None = None) -> torch.Tensor:
    """Event frames ``[..., C, H, W]`` → RGB ``[..., 3, H, W]``: ON red, OFF blue on black.

    C = 2 (OFF, ON counts) or C = 1 (signed voxel/rate values: positive red, negative blue).
    Intensities are divided by ``gain`` (default: the 99th percentile of non-zero magnitudes).
    """
    if frames.shape[-3] == 2:
        off, on = frames[..., 0, :, :].abs(), frames[..., 1, :, :].abs()
    elif frames.shape[-3] == 1:
        v = frames[..., 0, :, :]
        on, off = v.clamp(min=0), (-v).clamp(min=0)
    else:
        raise ValueError(f"event frames need 1 or 2 channels, got {frames.shape[-3]}")
    if gain is None:
        mags = torch.cat([on.flatten(), off.flatten()]).float()
        nz = mags[mags > 0]
        gain = float(torch.quantile(nz[:100_000], 0.99)) if nz.numel() else 1.0
    rgb = torch.stack([on, torch.zeros_like(on), off], dim=-3) / max(gain, 1e-12)
    return rgb.clamp(0, 1)


def side_by_side(panels: Sequence[torch.Tensor], gap: int = 1) -> torch.Tensor:
    """Concatenate per-sample RGB panels ``[B, 3, H, W]`` horizontally with a white gap."""
    height = panels[0].shape[-2]
    parts = []
    for i, p in enumerate(panels):
        if p.shape[-2] != height:
            p = torch.nn.functional.interpolate(p, size=(height, p.shape[-1] * height // p.shape[-2]))
        parts.append(p)
        if i < len(panels) - 1 and gap:
            parts.append(torch.ones(*p.shape[:-1], gap, dtype=p.dtype, device=p.device))
    return torch.cat(parts, dim=-1)


def image_panels(
    panels: Mapping[str, torch.Tensor | None],
    extra: Mapping[str, torch.Tensor | None] | None = None,
    max_images: int | None = None,
    comparison: str = "comparison",
) -> dict[str, torch.Tensor]:
    """The panels a model's ``log_images`` returns to the image logger.

    Each entry of ``panels`` (``[N, 1 or 3, H, W]``, or ``[N, T, 1 or 3, H, W]`` for a GIF) is
    cut to the first ``max_images``, clamped to [0, 1], made RGB and returned under its name,
    except names starting with ``_``, which only appear in the comparison; ``None`` entries (a
    batch without ground truth, say) are left out. ``comparison``: all of them side by side, in
    order. ``extra``: more panels (GIFs, other comparisons), prepared the same way but not part
    of the comparison.
    """
    def prepare(images: torch.Tensor) -> torch.Tensor:
        return to_rgb((images if max_images is None else images[:max_images]).clamp(0, 1))

    shown = [(name, prepare(images)) for name, images in panels.items() if images is not None]
    out = {name: images for name, images in shown if not name.startswith("_")}
    out.update({name: prepare(images) for name, images in (extra or {}).items() if images is not None})
    out[comparison] = side_by_side([images for _, images in shown])
    return out


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed; training runs write PNGs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, pad: float = 1.08) -> Path:
    """Lay out, write (PNG, 100 dpi; parent folders made) and close a matplotlib figure."""
    path = Path(path)
    fig.tight_layout(pad=pad)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
    return path


def titled_columns(tiles: Sequence[torch.Tensor], titles: Sequence[str], path: str | Path,
                   scale: float = 1.2) -> Path:
    """A figure of image columns under their titles (e.g. input | stage 1 | stage 3 | ground truth).

    ``tiles``: one ``[N, 3, H, W]`` tensor in [0, 1] per column (the same N); ``titles``: one
    string per column (may hold a newline). Written as a PNG (matplotlib, Agg) to ``path``.
    """
    plt = pyplot()
    if len(tiles) != len(titles) or not tiles:
        raise ValueError(f"titled_columns needs one title per column, got {len(tiles)} columns, {len(titles)} titles")
    rows = tiles[0].shape[0]
    fig, axes = plt.subplots(rows, len(tiles), figsize=(scale * len(tiles), scale * rows + 0.5), squeeze=False)
    for c, (column, title) in enumerate(zip(tiles, titles)):
        for r in range(rows):
            ax = axes[r][c]
            ax.imshow(column[r].permute(1, 2, 0).clamp(0, 1).cpu().numpy(), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0][c].set_title(title, fontsize=8)
    return save_figure(fig, path, pad=0.2)
