"""torch.compile of the repeated spiking blocks: one graph serves every instance, and later
training steps reuse it (no recompilation)."""

from __future__ import annotations

import copy

import torch

from spikevision.models.transformer import SnnGPT
from spikevision.models.transformer.gpt import SnnBlock


def train_steps(model: SnnGPT, idx: torch.Tensor, steps: int) -> list[torch.Tensor]:
    """Logits of ``steps`` training steps (Adam) on the next-token loss of ``idx`` ``[B, L]``."""
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    logits_seen = []
    for _ in range(steps):
        logits, _ = model(idx)
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1), idx[:, 1:].flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        logits_seen.append(logits.detach())
    return logits_seen


def test_compiled_gpt_blocks_compile_once_and_never_recompile():
    torch._dynamo.reset()
    torch.manual_seed(0)
    eager = SnnGPT(16, 9, n_layer=2, n_head=2, n_embd=8, time_steps=2)
    compiled = copy.deepcopy(eager)
    for block in compiled.blocks:
        assert isinstance(block, SnnBlock)
        block.compile(dynamic=False)
    idx = torch.randint(0, 16, (2, 9), generator=torch.Generator().manual_seed(1))
    counters = torch._dynamo.utils.counters
    counters.clear()
    # the second block and the second step must reuse the first block's graph: any failed guard
    # (a stride-0 first input, a neuron-state or reset cache) raises here
    with torch._dynamo.config.patch(error_on_recompile=True):
        got = train_steps(compiled, idx, 2)
    assert counters["stats"]["unique_graphs"] == 1
    want = train_steps(eager, idx, 2)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
