"""CoOp prompt learner: ``n_ctx`` learnable context vectors shared by the HQ and LQ prompts.

Prompt ``k`` = [SOT] ctx_1 … ctx_n  <class name k> . [EOT], e.g. class names
("high quality", "low quality"). The context is initialised from the embeddings of the words
in ``ctx_init`` (their count sets ``n_ctx``) or randomly (N(0, 0.02²)). Only ``ctx`` is a
parameter; the frozen CLIP text tower maps the prompts to unit features ``[n_cls, D]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from spikevision.clip import FrozenClip
from spikevision.clip.text import check_text_tower, encode_text_embeddings


class PromptLearner(nn.Module):
    """Learnable prompts over a :class:`FrozenClip` (held by reference, not as a submodule)."""

    def __init__(
        self,
        clip: FrozenClip,
        classnames: Sequence[str] = ("high quality", "low quality"),
        n_ctx: int = 4,
        ctx_init: str | None = None,
    ) -> None:
        super().__init__()
        model = clip.clip
        check_text_tower(model)
        self.__dict__["_frozen"] = clip
        width = model.token_embedding.weight.shape[1]
        with torch.no_grad():
            if ctx_init:
                init_tokens = clip.tokenizer([ctx_init])[0]
                n_ctx = int((init_tokens != 0).sum()) - 2  # minus SOT and EOT
                ctx = model.token_embedding(init_tokens.to(clip.device))[1 : 1 + n_ctx].clone().cpu()
            else:
                if n_ctx < 1:
                    raise ValueError(f"n_ctx must be ≥ 1, got {n_ctx}")
                ctx = torch.randn(n_ctx, width) * 0.02
            placeholder = " ".join(["X"] * n_ctx)
            tokens = clip.tokenizer([f"{placeholder} {name}." for name in classnames]).to(clip.device)
            emb = model.token_embedding(tokens).cpu()
        self.n_ctx, self.classnames, self.ctx_init = n_ctx, list(classnames), ctx_init
        self.ctx = nn.Parameter(ctx.float())
        self.register_buffer("tokens", tokens.cpu())
        self.register_buffer("token_prefix", emb[:, :1].clone())
        self.register_buffer("token_suffix", emb[:, 1 + n_ctx :].clone())

    def prompt_embeddings(self) -> torch.Tensor:
        """``[n_cls, L, width]``: SOT, the shared context, then each class name's tokens."""
        ctx = self.ctx.unsqueeze(0).expand(len(self.classnames), -1, -1)
        return torch.cat([self.token_prefix, ctx.to(self.token_prefix), self.token_suffix], dim=1)

    def forward(self) -> torch.Tensor:
        """Unit text features ``[n_cls, D]`` of the prompts."""
        return encode_text_embeddings(self.__dict__["_frozen"].clip, self.prompt_embeddings(), self.tokens)
