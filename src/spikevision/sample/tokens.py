"""Autoregressive token sampling with temperature, top-k and top-p, with or without a KV cache.

Both paths draw one ``torch.multinomial`` per step from the same generator, so for the same
seed they return the same tokens whenever the model's cached logits equal its full ones
(true for :class:`spikevision.models.transformer.gpt.SnnGPT`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def filter_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """Keep the ``top_k`` largest logits and the smallest set whose probability reaches ``top_p``;
    the rest become −inf. ``[B, V]``."""
    if top_k is not None and top_k > 0:
        k = min(int(top_k), logits.shape[-1])
        kth = torch.topk(logits, k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and 0.0 < top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop_sorted = cum - sorted_logits.softmax(-1) >= top_p  # keep the first token past the mass
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


@torch.no_grad()
def sample_tokens(model: torch.nn.Module, cond: torch.Tensor, steps: int, temperature: float = 1.0,
                  top_k: int | None = None, top_p: float | None = None, use_cache: bool = True,
                  generator: torch.Generator | None = None,
                  on_step: Callable[[int], None] | None = None) -> torch.Tensor:
    """Continue ``cond`` ``[B, L0]`` by ``steps`` sampled tokens → ``[B, steps]``.

    ``model(idx, past) -> (logits [B, L, V], cache)``; ``temperature ≤ 0`` means greedy.
    """
    seq, past, new = cond, None, cond
    out = []
    for i in range(steps):
        if use_cache:
            logits, past = model(new, past)
        else:
            logits, _ = model(seq)
        logits = logits[:, -1]
        if temperature <= 0:
            token = logits.argmax(-1, keepdim=True)
        else:
            probs = filter_logits(logits / temperature, top_k, top_p).softmax(-1)
            token = torch.multinomial(probs, 1, generator=generator)
        out.append(token)
        new = token
        seq = torch.cat([seq, token], dim=1)
        if on_step is not None:
            on_step(i)
    return torch.cat(out, dim=1) if out else cond.new_zeros(cond.shape[0], 0)
