"""Stage-1 (spiking VQ-VAE) speed and memory, each against a peer in the same run.

1. A training step (forward + backward + Adam) of our multi-step network (all T steps in one
   call per layer) vs the same network driven one time step at a time from a Python loop (the
   reference's style; outputs are checked equal).
2. The same step with ``torch.compile`` of the encoder/decoder step functions (``compile: true``)
   vs eager, at T=4 and T=16 (compile time reported separately).
3. Peak memory of the nearest-code search: ``‖z‖² + ‖e‖² − 2 z·e`` vs the materialised
   ``[N, n_e, T·C]`` difference tensor (the reference, with autograd on), each in a fresh process.

Usage: python benchmarks/bench_vqvae.py [--batch 16] [--ch 32] [--size 32] [--threads 1] [--skip-compile]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

from spikevision.models.vqvae import SnnVQModel
from spikevision.snn import encode_input, reset_states


def build(ch: int, size: int, steps: int, compile: bool = False) -> SnnVQModel:
    torch.manual_seed(0)
    dd = {"in_channels": 2, "out_channels": 2, "ch": ch, "ch_mult": [1, 2, 2], "num_res_blocks": 1,
          "attn_resolutions": [size // 4], "resolution": size, "z_channels": ch}
    loss = {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator",
            "params": {"disc_in_channels": 2, "disc_ndf": 8, "disc_num_layers": 1}}
    return SnnVQModel(dd, n_embed=256, embed_dim=ch, time_steps=steps, input_coding="bins", output="frames",
                      image_key="input", loss=loss, compile=compile)


def forward_multistep(m: SnnVQModel, x: torch.Tensor) -> torch.Tensor:
    return m(x)[0]


def forward_per_step(m: SnnVQModel, x: torch.Tensor) -> torch.Tensor:
    """The reference style: every layer called once per time step, neuron state carried over."""
    seq = encode_input(x, "bins", m.time_steps)
    try:
        h = torch.cat([m.quant_conv(m.encoder._forward(seq[t : t + 1])) for t in range(seq.shape[0])])
        z_q, _, _ = m.quantize(h)
        z_q = m.post_quant_conv(z_q)
        y = torch.cat([m.decoder._forward(z_q[t : t + 1]) for t in range(z_q.shape[0])])
    finally:
        reset_states(m)
    return y.transpose(0, 1)


def step_time(m: SnnVQModel, x: torch.Tensor, fwd, repeats: int) -> tuple[float, float]:
    """(first-call seconds, best of ``repeats`` seconds) for forward + backward + Adam step."""
    opt = torch.optim.Adam([p for n, p in m.named_parameters() if not n.startswith("loss.")], lr=1e-4)
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        loss = (fwd(m, x) - x).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return times[0], min(times[1:])


def search_peak(method: str, n: int, n_e: int, dim: int) -> dict:
    """Run one nearest-code search in a fresh interpreter; its peak RSS increase in MiB."""
    code = f"""
import resource, torch, json
from spikevision.models.vqvae.quantizer import nearest_code, nearest_code_materialised
torch.manual_seed(0)
z = torch.randn({n}, {dim}, requires_grad=True); e = torch.randn({n_e}, {dim}, requires_grad=True)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
idx = nearest_code(z, e) if '{method}' == 'expanded' else nearest_code_materialised(z, e)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"mib": (peak - base) / 1024, "checksum": int(idx.sum())}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--ch", type=int, default=32)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-compile", action="store_true")
    opt = p.parse_args()
    torch.set_num_threads(opt.threads)
    print(f"torch {torch.__version__}, {opt.threads} thread(s); network ch={opt.ch}, ch_mult [1,2,2], "
          f"{opt.size}×{opt.size}, batch {opt.batch}")

    print("\n1. training step: multi-step vs per-time-step Python loop (same network, T=4)")
    m = build(opt.ch, opt.size, 4)
    x = torch.rand(opt.batch, 4, 2, opt.size, opt.size).round() * 2 - 1
    with torch.no_grad():
        same = torch.allclose(forward_multistep(m, x), forward_per_step(m, x), atol=1e-4)
    _, multi = step_time(m, x, forward_multistep, opt.repeats)
    _, loop = step_time(m, x, forward_per_step, opt.repeats)
    print(f"   multi-step {multi * 1e3:8.1f} ms   per-step loop {loop * 1e3:8.1f} ms   "
          f"speed-up {loop / multi:.2f}×   outputs equal: {same}")

    if not opt.skip_compile:
        print("\n2. torch.compile (compile: true) vs eager, training step")
        for steps in (4, 16):
            xs = torch.rand(opt.batch, steps, 2, opt.size, opt.size).round() * 2 - 1
            _, eager = step_time(build(opt.ch, opt.size, steps), xs, forward_multistep, opt.repeats)
            first, comp = step_time(build(opt.ch, opt.size, steps, compile=True), xs, forward_multistep,
                                    opt.repeats)
            print(f"   T={steps:2d}: eager {eager * 1e3:8.1f} ms   compiled {comp * 1e3:8.1f} ms   "
                  f"speed-up {eager / comp:.2f}×   (first call incl. compilation {first:.1f} s)")

    print("\n3. nearest-code search peak memory (fresh process each; N positions × n_e codes × T·C)")
    for n, n_e, dim in ((1024, 1024, 256), (4096, 1024, 128)):
        exp, mat = search_peak("expanded", n, n_e, dim), search_peak("materialised", n, n_e, dim)
        same = exp["checksum"] == mat["checksum"]
        dist_mib = n * n_e * 4 / 2**20  # the only N-sized buffer of the expanded form
        print(f"   N={n:5d} n_e={n_e} T·C={dim}: ‖z‖²+‖e‖²−2z·e {exp['mib']:7.1f} MiB measured "
              f"(its [N, n_e] distance matrix: {dist_mib:.0f} MiB, below the import high-water mark)   "
              f"materialised {mat['mib']:7.1f} MiB   same codes: {same}")
    print(f"\n(peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
