"""No-reference image quality: NIQE and BRISQUE through pyiqa, working offline.

pyiqa downloads its parameter files on first use. Here:

- **NIQE** uses the pristine-image model (mean ``[36]`` and covariance ``[36, 36]`` of natural
  image patch features). A copy ships with spikevision: ``niqe_pris_params.npz`` is taken
  unchanged from the ``basicsr`` 1.4.2 source distribution (``basicsr/metrics/``; BasicSR,
  Apache License 2.0), i.e. the MATLAB reference parameters. A MATLAB/pyiqa ``.mat`` file
  (``mu_prisparam``, ``cov_prisparam``) may be given instead.
- **BRISQUE** needs pyiqa's SVM weights ``brisque_svm_weights.pth``: an explicit path, or the
  file in pyiqa's cache (``<torch hub dir>/pyiqa/``). When absent, :class:`WeightsUnavailableError`
  is raised at once with the URL and the place to put it (nothing is downloaded).

Both metrics need images of at least ~2×96 pixels a side; smaller images (e.g. 34×34 digits)
are upscaled bicubically first (``min_side``), so their scores are not comparable with scores
of natural full-size images. Lower is better for both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from spikevision.clip.offline import WeightsUnavailableError, torch_hub_dir

NIQE_PARAMS = Path(__file__).with_name("niqe_pris_params.npz")
BRISQUE_FILE = "brisque_svm_weights.pth"
BRISQUE_URL = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/" + BRISQUE_FILE


def load_niqe_params(path: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pristine NIQE model ``(mu [36], cov [36, 36])`` from ``.npz`` (basicsr keys) or ``.mat``."""
    path = Path(path) if path else NIQE_PARAMS
    if not path.is_file():
        raise WeightsUnavailableError(f"NIQE parameters not found at {path}")
    if path.suffix == ".mat":
        from scipy.io import loadmat

        m = loadmat(path)
        mu, cov = m["mu_prisparam"], m["cov_prisparam"]
    else:
        with np.load(path) as z:
            mu, cov = z["mu_pris_param"], z["cov_pris_param"]
    return torch.from_numpy(np.ravel(mu).astype(np.float64)), torch.from_numpy(np.asarray(cov, np.float64))


def find_brisque_weights(path: str | Path | None = None) -> Path:
    """BRISQUE SVM weights: ``path`` or pyiqa's cached file; a clear error when neither exists."""
    cached = torch_hub_dir() / "pyiqa" / BRISQUE_FILE
    candidate = Path(path).expanduser() if path else cached
    if candidate.is_file():
        return candidate
    raise WeightsUnavailableError(
        f"BRISQUE weights not available offline: '{candidate}' does not exist. Download {BRISQUE_URL} "
        f"to {cached} (pyiqa's cache) or pass its path (--brisque-weights)."
    )


def upscale_for_iqa(images: torch.Tensor, min_side: int = 192) -> torch.Tensor:
    """Bicubic upscaling of ``[B, C, H, W]`` in [0, 1] so that min(H, W) ≥ ``min_side``."""
    side = min(images.shape[-2:])
    if side >= min_side:
        return images
    scale = -(-min_side // side)
    out = torch.nn.functional.interpolate(images, scale_factor=scale, mode="bicubic", align_corners=False)
    return out.clamp(0, 1)


class NoReferenceIQA:
    """NIQE / BRISQUE scores ``[B]`` of images ``[B, 1|3, H, W]`` in [0, 1] (pyiqa implementations).

    ``brisque_weights``: path or None (pyiqa cache); when unavailable, :attr:`brisque_error`
    explains why and :meth:`brisque` raises it.
    """

    def __init__(self, niqe_params: str | Path | None = None, brisque_weights: str | Path | None = None,
                 min_side: int = 192) -> None:
        self.mu, self.cov = load_niqe_params(niqe_params)
        self.min_side = min_side
        self.brisque_error: WeightsUnavailableError | None = None
        self._brisque = None
        try:
            self._brisque_path: Path | None = find_brisque_weights(brisque_weights)
        except WeightsUnavailableError as err:
            self._brisque_path, self.brisque_error = None, err

    @torch.no_grad()
    def niqe(self, images: torch.Tensor) -> torch.Tensor:
        from pyiqa.archs.niqe_arch import calculate_niqe

        x = upscale_for_iqa(images.float().cpu(), self.min_side)
        return calculate_niqe(x, 0, True, "yiq", self.mu, self.cov).flatten().float()

    @torch.no_grad()
    def brisque(self, images: torch.Tensor) -> torch.Tensor:
        if self._brisque_path is None:
            raise self.brisque_error  # type: ignore[misc]
        if self._brisque is None:
            from pyiqa.archs.brisque_arch import BRISQUE

            self._brisque = BRISQUE(pretrained_model_path=str(self._brisque_path))
        x = upscale_for_iqa(images.float().cpu(), self.min_side)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return self._brisque(x).flatten().float()
