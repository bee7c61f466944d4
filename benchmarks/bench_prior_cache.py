"""Cached vs uncached sampling of the spiking GPT prior, in one run: 256 tokens, same seed.

The KV cache keeps per-time-step spiking keys/values, so both paths must return identical
tokens; the cached path should be ≥ 5× faster.

Usage: python benchmarks/bench_prior_cache.py [--tokens 256] [--layers 4] [--embd 128] [--batch 8]
"""

from __future__ import annotations

import argparse
import time

import torch

from spikevision.models.transformer import SnnGPT
from spikevision.sample.tokens import sample_tokens


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tokens", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--embd", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--time-steps", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    opt = p.parse_args()
    torch.set_num_threads(opt.threads)
    print(f"SnnGPT {opt.layers} layers × {opt.embd} wide, {opt.heads} heads, T={opt.time_steps}; batch {opt.batch}, "
          f"{opt.tokens} tokens, {opt.threads} thread(s), torch {torch.__version__}")
    for softmax in (False, True):
        torch.manual_seed(0)
        m = SnnGPT(1024, opt.tokens, opt.layers, opt.heads, opt.embd, opt.time_steps, softmax=softmax).eval()
        cond = torch.full((opt.batch, 1), 1024)
        out, secs = {}, {}
        for cached in (True, False):
            gen = torch.Generator().manual_seed(7)
            t0 = time.perf_counter()
            out[cached] = sample_tokens(m, cond, opt.tokens, top_k=100, use_cache=cached, generator=gen)
            secs[cached] = time.perf_counter() - t0
        print(f"softmax={softmax!s:5}: cached {secs[True]:6.2f} s   uncached {secs[False]:6.2f} s   "
              f"speed-up {secs[False] / secs[True]:5.1f}×   identical tokens: {torch.equal(out[True], out[False])}")


if __name__ == "__main__":
    main()
