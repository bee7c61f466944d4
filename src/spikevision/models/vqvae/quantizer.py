"""Vector quantizers for multi-step (spiking) latents ``[T, B, C, H, W]``.

Two quantizers share one interface (``forward(z) -> (z_q, loss, info)``, ``embed(indices)``):

- :class:`TemporalQuantizer` — the temporal codebook: each code is a whole T-step trajectory
  (``n_e × T·C``); at every spatial position the T encoder vectors are concatenated and matched
  to the nearest trajectory, so one index per position is shared by all time steps.
- :class:`VanillaQuantizer` — the per-time-step codebook (``n_e × C``), T index maps.

The nearest-code search uses ``‖z‖² + ‖e‖² − 2 z·e`` (an ``N × n_e`` matrix) and never the
``N × n_e × D`` difference tensor. The loss is ``‖sg[z] − e‖² + β‖z − sg[e]‖²`` (β on the
commitment term); ``legacy=True`` reproduces taming's placement (β on the codebook term).
"""

from __future__ import annotations

import torch
from torch import nn


def nearest_code(z: torch.Tensor, codebook: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    """Index of the nearest row of ``codebook`` ``[n_e, D]`` for each row of ``z`` ``[N, D]``
    (squared L2 via ``‖z‖² + ‖e‖² − 2 z·e``, in chunks of ``chunk`` rows; no gradient). Always in
    float32, also under bf16/fp16 autocast (whose matmul would round the distances and pick wrong codes)."""
    with torch.no_grad(), torch.autocast(z.device.type, enabled=False):
        z, codebook = z.float(), codebook.float()
        e_sq = codebook.pow(2).sum(1)
        out = []
        for part in z.split(chunk):
            dist = torch.addmm(e_sq.unsqueeze(0), part, codebook.t(), alpha=-2.0)
            dist += part.pow(2).sum(1, keepdim=True)
            out.append(dist.argmin(1))
        return torch.cat(out) if out else z.new_zeros(0, dtype=torch.long)


def nearest_code_materialised(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """The reference's search, ``argmin Σ (z − e)²`` over an ``[N, n_e, D]`` tensor (benchmarks only)."""
    return ((z.unsqueeze(1) - codebook.unsqueeze(0)) ** 2).sum(-1).argmin(1)


def vq_loss(z: torch.Tensor, z_q: torch.Tensor, beta: float, legacy: bool) -> torch.Tensor:
    """Codebook + commitment loss. Correct: ``mse(sg z, e) + β mse(z, sg e)``;
    legacy (taming/reference): ``mse(z, sg e) + β mse(sg z, e)``."""
    codebook = torch.mean((z_q - z.detach()) ** 2)
    commitment = torch.mean((z_q.detach() - z) ** 2)
    if legacy:
        return commitment + beta * codebook
    return codebook + beta * commitment


def code_counts(indices: torch.Tensor, n_e: int) -> torch.Tensor:
    """How often each of the ``n_e`` codes occurs in ``indices`` (any shape) → ``[n_e]`` int64."""
    return torch.bincount(indices.flatten(), minlength=n_e)


def count_statistics(counts: torch.Tensor) -> dict[str, torch.Tensor]:
    """Perplexity ``exp(H(p))`` of a code histogram ``[n_e]`` and the fraction of codes used (≥ 1)."""
    counts = counts.float()
    probs = counts / counts.sum().clamp(min=1)
    entropy = -(probs * torch.log(probs.clamp(min=1e-30))).sum()
    return {"perplexity": entropy.exp(), "usage": (counts > 0).float().mean()}


def code_statistics(indices: torch.Tensor, n_e: int) -> dict[str, torch.Tensor]:
    """Perplexity ``exp(H(p))`` of the code histogram of ``indices`` and the fraction of codes used."""
    return count_statistics(code_counts(indices, n_e))


class _QuantizerBase(nn.Module):
    kind = ""

    def __init__(self, n_e: int, e_dim: int, time_steps: int, beta: float = 0.25,
                 legacy: bool = False, code_dim: int | None = None) -> None:
        super().__init__()
        if n_e < 2 or e_dim < 1 or time_steps < 1:
            raise ValueError(f"need n_e ≥ 2, e_dim ≥ 1, time_steps ≥ 1; got {n_e}, {e_dim}, {time_steps}")
        self.n_e, self.e_dim, self.time_steps = n_e, e_dim, time_steps
        self.beta, self.legacy = beta, legacy
        self.embedding = nn.Embedding(n_e, code_dim or e_dim)
        self.embedding.weight.data.uniform_(-1.0 / n_e, 1.0 / n_e)

    def _check(self, z: torch.Tensor) -> None:
        if z.dim() != 5 or z.shape[0] != self.time_steps or z.shape[2] != self.e_dim:
            raise ValueError(f"{type(self).__name__} expects [T={self.time_steps}, B, C={self.e_dim}, H, W],"
                             f" got {tuple(z.shape)}")

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """``z`` ``[T, B, C, H, W]`` → (``z_q`` same shape with straight-through gradient,
        scalar VQ loss, ``info`` with ``indices`` and code statistics)."""
        self._check(z)
        indices = self.search(z)
        z_q = self.embed(indices)
        loss = vq_loss(z, z_q, self.beta, self.legacy)
        z_q = z + (z_q - z).detach()
        return z_q, loss, {"indices": indices, "latents": z.detach(), **code_statistics(indices, self.n_e)}

    def search(self, z: torch.Tensor) -> torch.Tensor:
        """Nearest code of each latent vector (:meth:`flat_latents`), in the index layout of :meth:`embed`."""
        t, b, _, h, w = z.shape
        indices = nearest_code(self.flat_latents(z), self.embedding.weight)
        return indices.view(*self.index_shape(t, b, h, w))

    @torch.no_grad()
    def restart_codes(self, dead: torch.Tensor, latents: torch.Tensor,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """Dead-code restart: each code where ``dead`` ``[n_e]`` (bool) is true becomes one of the
        latent vectors of ``latents`` ``[T, B, C, H, W]`` (the encoder outputs of a batch), drawn
        uniformly (with replacement when there are fewer vectors than dead codes); the other codes
        are left untouched. Returns the indices of the restarted codes."""
        codes = dead.nonzero().flatten()
        if codes.numel():
            flat = self.flat_latents(latents)
            pick = torch.randint(0, flat.shape[0], (codes.numel(),), generator=generator,
                                 device=generator.device if generator is not None else "cpu")
            self.embedding.weight.data[codes] = flat[pick.to(flat.device)].to(self.embedding.weight.dtype)
        return codes


class TemporalQuantizer(_QuantizerBase):
    """Temporal codebook ``Embedding(n_e, T·e_dim)``; indices ``[B, H, W]`` shared by all steps."""

    kind = "temporal"

    def __init__(self, n_e: int, e_dim: int, time_steps: int, beta: float = 0.25,
                 legacy: bool = False) -> None:
        super().__init__(n_e, e_dim, time_steps, beta, legacy, code_dim=time_steps * e_dim)

    def flat_latents(self, z: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W]`` → the ``[B·H·W, T·C]`` trajectories the codes are matched to."""
        t, b, c, h, w = z.shape
        return z.permute(1, 3, 4, 0, 2).reshape(b * h * w, t * c)

    @staticmethod
    def index_shape(t: int, b: int, h: int, w: int) -> tuple[int, ...]:
        return (b, h, w)

    def embed(self, indices: torch.Tensor) -> torch.Tensor:
        """``[B, H, W]`` → ``[T, B, C, H, W]`` (step t gets slice t of each trajectory)."""
        b, h, w = indices.shape
        codes = self.embedding(indices).view(b, h, w, self.time_steps, self.e_dim)
        return codes.permute(3, 0, 4, 1, 2).contiguous()


class VanillaQuantizer(_QuantizerBase):
    """Per-time-step codebook ``Embedding(n_e, e_dim)``; indices ``[T, B, H, W]``."""

    kind = "vanilla"

    def flat_latents(self, z: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W]`` → the ``[T·B·H·W, C]`` vectors the codes are matched to."""
        return z.permute(0, 1, 3, 4, 2).reshape(-1, z.shape[2])

    @staticmethod
    def index_shape(t: int, b: int, h: int, w: int) -> tuple[int, ...]:
        return (t, b, h, w)

    def embed(self, indices: torch.Tensor) -> torch.Tensor:
        """``[T, B, H, W]`` → ``[T, B, C, H, W]``."""
        if indices.dim() != 4 or indices.shape[0] != self.time_steps:
            raise ValueError(f"vanilla codes are [T={self.time_steps}, B, H, W], got {tuple(indices.shape)}")
        return self.embedding(indices).permute(0, 1, 4, 2, 3).contiguous()


QUANTIZERS = {"temporal": TemporalQuantizer, "vanilla": VanillaQuantizer}


def make_quantizer(kind: str, n_e: int, e_dim: int, time_steps: int, beta: float = 0.25,
                   legacy: bool = False) -> _QuantizerBase:
    """A quantizer by name (``temporal`` or ``vanilla``)."""
    if kind not in QUANTIZERS:
        raise ValueError(f"unknown codebook '{kind}'; choose from {sorted(QUANTIZERS)}")
    return QUANTIZERS[kind](n_e, e_dim, time_steps, beta=beta, legacy=legacy)
