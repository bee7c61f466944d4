"""Text encoding from token *embeddings* (for learnable prompt contexts, CoOp-style)."""

from __future__ import annotations

import torch
from torch import nn

TEXT_ATTRS = ("token_embedding", "positional_embedding", "transformer", "ln_final", "text_projection")


def check_text_tower(model: nn.Module) -> None:
    """Prompt learning needs open_clip's built-in text tower (not an HF/custom text model)."""
    missing = [a for a in TEXT_ATTRS if not hasattr(model, a)]
    if missing:
        raise ValueError(f"prompt learning needs an open_clip CLIP with a built-in text transformer; "
                         f"{type(model).__name__} lacks {missing}")


def encode_text_embeddings(model: nn.Module, embeddings: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """open_clip's ``encode_text`` starting after the token lookup.

    Args:
        model: an open_clip ``CLIP``.
        embeddings: ``[N, L, width]`` token embeddings (some may be learnable vectors).
        tokens: ``[N, L]`` the token ids the embeddings stand for (locate the pooled EOT token).

    Returns:
        L2-normalised text features ``[N, D]``.
    """
    from open_clip.transformer import text_global_pool

    cast = model.transformer.get_cast_dtype()
    x = embeddings.to(cast) + model.positional_embedding.to(cast)
    x = model.transformer(x, attn_mask=model.attn_mask)
    x = model.ln_final(x)
    x = text_global_pool(x, tokens, model.text_pool_type, eos_token_id=getattr(model, "text_eos_id", None))
    proj = model.text_projection
    if proj is not None:
        x = proj(x) if isinstance(proj, nn.Linear) else x @ proj
    return nn.functional.normalize(x.float(), dim=-1)
