"""Spiking GPT prior over code indices (minGPT shape with LIF neurons).

Tokens ``[B, L]`` → embeddings (token + position) repeated over ``time_steps`` (direct coding,
``[T, B, L, C]``) → blocks → LayerNorm → head → logits averaged over T ``[B, L, V]``.
Each block: ``x + attn(LN(x))``, ``x + mlp(LN(x))``; q, k, v are LIF spikes of Linear
projections; the causal attention is ``q·kᵀ/√d`` with future weights set to 0 (``softmax=False``,
the reference) or a masked softmax; the MLP is Linear → LIF → Linear.

LIF neurons are element-wise over positions and integrate over the T time steps of one token,
so a token's spikes never depend on other tokens: the KV cache stores the per-step spiking
k, v ``[T, B, heads, L, d]`` (not T-averaged), and cached decoding gives the same logits as
recomputing the whole sequence. Neuron states are reset after every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from einops import rearrange
from torch import nn

from spikevision.models.compile import is_compiled
from spikevision.snn import make_lif, reset_states
from spikevision.snn.time_distributed import expand_time, once_per_time

KV = tuple[torch.Tensor, torch.Tensor]


class SnnCausalSelfAttention(nn.Module):
    """Multi-head causal attention on ``[T, B, L, C]`` with spiking q, k, v."""

    def __init__(self, n_embd: int, n_head: int, attn_pdrop: float = 0.0, resid_pdrop: float = 0.0,
                 softmax: bool = False, lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd={n_embd} must be divisible by n_head={n_head}")
        self.query, self.key, self.value = (nn.Linear(n_embd, n_embd) for _ in range(3))
        self.q_lif, self.k_lif, self.v_lif = (make_lif(lif) for _ in range(3))
        self.proj = nn.Linear(n_embd, n_embd)
        self.attn_drop, self.resid_drop = nn.Dropout(attn_pdrop), nn.Dropout(resid_pdrop)
        self.n_head, self.softmax = n_head, softmax

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        return rearrange(x, "t b l (nh hs) -> t b nh l hs", nh=self.n_head)

    def forward(self, x: torch.Tensor, past: KV | None = None) -> tuple[torch.Tensor, KV]:
        l, c = x.shape[-2:]
        q = self._heads(self.q_lif(once_per_time(self.query, x)))
        k = self._heads(self.k_lif(once_per_time(self.key, x)))
        v = self._heads(self.v_lif(once_per_time(self.value, x)))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=-2), torch.cat([past[1], v], dim=-2)
        offset = k.shape[-2] - l
        att = (q @ k.transpose(-1, -2)) * (c // self.n_head) ** -0.5  # [T, B, nh, L, L_k]
        if self.softmax:
            future = torch.ones(l, k.shape[-2], dtype=torch.bool, device=x.device).triu(offset + 1)
            att = att.masked_fill(future, float("-inf")).softmax(-1)
        else:  # future weights set to 0 (tril: a bool masked_fill is far slower on CPU)
            att = att.tril(offset)
        y = rearrange(self.attn_drop(att) @ v, "t b nh l hs -> t b l (nh hs)")
        return self.resid_drop(self.proj(y)), (k, v)


class SnnBlock(nn.Module):
    """Pre-norm transformer block with the spiking attention and a Linear → LIF → Linear MLP."""

    def __init__(self, n_embd: int, n_head: int, attn_pdrop: float = 0.0, resid_pdrop: float = 0.0,
                 softmax: bool = False, lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
        self.attn = SnnCausalSelfAttention(n_embd, n_head, attn_pdrop, resid_pdrop, softmax, lif)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), make_lif(lif), nn.Linear(4 * n_embd, n_embd),
                                 nn.Dropout(resid_pdrop))

    def forward(self, x: torch.Tensor, past: KV | None = None) -> tuple[torch.Tensor, KV]:
        a, present = self.attn(once_per_time(self.ln1, x), past)
        x = x + a
        return x + self.mlp(self.ln2(x)), present


class SnnGPT(nn.Module):
    """Spiking GPT. ``vocab_size`` code tokens are predicted; ``n_cond`` extra input-only tokens
    (index ``vocab_size + k``) carry the start/class condition. ``block_size``: max length."""

    def __init__(self, vocab_size: int, block_size: int, n_layer: int = 12, n_head: int = 8,
                 n_embd: int = 256, time_steps: int = 2, n_cond: int = 1, softmax: bool = False,
                 embd_pdrop: float = 0.0, resid_pdrop: float = 0.0, attn_pdrop: float = 0.0,
                 lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.vocab_size, self.block_size, self.time_steps, self.n_cond = vocab_size, block_size, time_steps, n_cond
        self.tok_emb = nn.Embedding(vocab_size + n_cond, n_embd)
        self.pos_emb = nn.Parameter(torch.zeros(1, block_size, n_embd))
        self.drop = nn.Dropout(embd_pdrop)
        self.blocks = nn.ModuleList(SnnBlock(n_embd, n_head, attn_pdrop, resid_pdrop, softmax, lif)
                                    for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, past: list[KV] | None = None,
                ) -> tuple[torch.Tensor, list[KV]]:
        """``idx`` ``[B, L]`` (continuing ``past`` if given) → (logits ``[B, L, vocab]``, cache)."""
        start = past[0][0].shape[-2] if past else 0
        if start + idx.shape[1] > self.block_size:
            raise ValueError(f"sequence of {start + idx.shape[1]} tokens exceeds block_size {self.block_size}")
        try:
            x = self.drop(self.tok_emb(idx) + self.pos_emb[:, start : start + idx.shape[1]])
            x = expand_time(x, self.time_steps)
            if is_compiled(self.blocks[0]):
                # blocks compiled (``block.compile()``): give the first block a dense input like
                # the others', so one graph serves them all (a stride-0 view would be guarded on
                # and compiled a second time); eager keeps the view (its first LN/q/k/v run once)
                x = x.contiguous()
            presents = []
            for i, block in enumerate(self.blocks):
                x, kv = block(x, past[i] if past else None)
                presents.append(kv)
            return self.head(self.ln_f(x)).mean(0), presents
        finally:
            reset_states(self)


CausalSelfAttentionSnn = SnnCausalSelfAttention  # old name, kept so saved run configs load
BlockSnn = SnnBlock  # old name, kept so saved run configs load
