"""Training-step speed of every SNN family: ours (all T steps per layer call) vs a per-time-step loop.

For each family at its demo size (the ``_small`` overlays and demo run scripts) one training step
(forward + loss + backward + optimizer step) of our network is timed against a *peer*: the same
network with the same weights driven the way the reference implementations drive theirs, a
Python loop over the T time steps calling every layer on ``[B, ...]`` with spikingjelly's neurons
in single-step mode (``step_mode='s'``, state carried between calls). Steps alternate ours/peer
(``--repeats`` pairs) and the median of the per-pair ratios is printed, so a shared, noisy machine
affects both alike. Before timing, ours and the peer are checked equal (outputs and parameter
gradients, eval mode: JSCC's BatchNorm then uses running statistics in both).

``--compile`` also times ``torch.compile`` (``dynamic=False``) of our network, each in a fresh
process with an empty inductor cache (first call = compilation + one step, reported separately):
``whole`` compiles the network's forward, ``blocks`` compiles each repeated block once per shape
(``module.compile()`` on every res/attention/transformer block; the instances share the code).
The Semi-UNet is a CNN over spike planes (no time steps): only its eager/compiled times.

    python benchmarks/bench_snn_steps.py [--families vqvae prior recon spikecnn jscc] [--repeats 7]
        [--compile whole blocks] [--threads 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from einops import rearrange
from spikingjelly.activation_based import functional
from torch import nn

from spikevision.snn import encode_input, reset_states
from spikevision.snn.blocks import SnnAttnBlock, SnnResnetBlock

FAMILIES = ("vqvae", "prior", "recon", "spikecnn", "jscc")


@dataclass
class Case:
    """One family: ``ours(net)``/``peer(net)`` return the training loss of one batch."""

    name: str
    shape: str
    build: Callable[[], nn.Module]
    ours: Callable[[nn.Module], torch.Tensor]
    peer: Callable[[nn.Module], torch.Tensor] | None
    blocks: tuple[type, ...] = ()
    optimizer: Callable[[list[nn.Parameter]], torch.optim.Optimizer] = lambda p: torch.optim.Adam(p, 1e-4)


def stepped(net: nn.Module, fn: Callable[[], torch.Tensor]) -> torch.Tensor:
    """Run ``fn`` with every neuron of ``net`` in single-step mode, then reset and restore."""
    functional.set_step_mode(net, "s")
    try:
        return fn()
    finally:
        reset_states(net)
        functional.set_step_mode(net, "m")


# ------------------------------------------------------------------ families
def vqvae_case() -> Case:
    from spikevision.models.vqvae import SnnVQModel

    batch, steps, size = 8, 4, 32  # snn_vqvae_small's batch
    x = (torch.rand(batch, steps, 2, size, size, generator=torch.Generator().manual_seed(1)) > 0.8).float() * 2 - 1

    def build() -> nn.Module:
        torch.manual_seed(0)
        net = {"in_channels": 2, "out_channels": 2, "ch": 16, "ch_mult": [1, 2, 2], "num_res_blocks": 1,
               "attn_resolutions": [], "resolution": size, "z_channels": 32}
        loss = {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator",
                "params": {"disc_in_channels": 2, "disc_ndf": 16, "disc_num_layers": 2, "perceptual_weight": 0.0}}
        m = SnnVQModel(net, n_embed=128, embed_dim=32, time_steps=steps, input_coding="bins", output="frames",
                       image_key="input", loss=loss)
        del m.loss  # the discriminator is idle before disc_start; not part of the step timed here
        return m

    def ours(m: nn.Module) -> torch.Tensor:
        rec, qloss, _ = m(x)
        return (rec - x).abs().mean() + qloss

    def peer(m: nn.Module) -> torch.Tensor:
        seq = encode_input(x, "bins", steps)
        h = stepped(m.encoder, lambda: torch.cat([m.quant_conv(m.encoder._forward(seq[t:t + 1]))
                                                  for t in range(steps)]))
        z_q, qloss, _ = m.quantize(h)
        z_q = m.post_quant_conv(z_q)
        y = stepped(m.decoder, lambda: torch.cat([m.decoder._forward(z_q[t:t + 1]) for t in range(steps)]))
        return (rearrange(y, "t b c h w -> b t c h w") - x).abs().mean() + qloss

    return Case("VQ-VAE stage 1 (snn_vqvae_small)",
                f"ch 16 × [1, 2, 2], 1 res block, {size}×{size} event frames, T = {steps}, batch {batch}",
                build, ours, peer, (SnnResnetBlock, SnnAttnBlock))


def prior_case() -> Case:
    from spikevision.models.transformer import SnnGPT
    from spikevision.models.transformer.gpt import SnnBlock

    batch, tokens, vocab = 32, 64, 128
    idx = torch.randint(0, vocab, (batch, tokens + 1), generator=torch.Generator().manual_seed(1))
    idx[:, 0] = vocab  # the start token

    def build() -> nn.Module:
        torch.manual_seed(0)
        return SnnGPT(vocab, tokens + 1, n_layer=4, n_head=4, n_embd=128, time_steps=2)

    def loss_of(logits: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(rearrange(logits[:, :-1], "b l v -> (b l) v"), idx[:, 1:].flatten())

    def ours(m: nn.Module) -> torch.Tensor:
        return loss_of(m(idx)[0])

    def peer(m: nn.Module) -> torch.Tensor:
        def run() -> torch.Tensor:
            x = m.drop(m.tok_emb(idx) + m.pos_emb[:, : idx.shape[1]])[None]
            logits = []
            for _ in range(m.time_steps):
                h = x
                for block in m.blocks:
                    h, _ = block(h)
                logits.append(m.head(m.ln_f(h)))
            return torch.cat(logits).mean(0)
        return loss_of(stepped(m, run))

    return Case("spiking GPT prior (snn_transformer_small)",
                f"4 layers × 128, 4 heads, {tokens + 1} tokens, T = 2, batch {batch}", build, ours, peer, (SnnBlock,))


def recon_case() -> Case:
    from spikevision.models.recon import SnnUNet

    batch, steps, size = 64, 4, 34
    gen = torch.Generator().manual_seed(1)
    x = torch.log1p(torch.poisson(torch.full((steps, batch, 2, size, size), 0.3), generator=gen))
    target = torch.rand(batch, 1, size, size, generator=gen)

    def build() -> nn.Module:
        torch.manual_seed(0)
        return SnnUNet(in_channels=2, out_channels=1, ch=16, ch_mult=[1, 2, 2])

    def ours(m: nn.Module) -> torch.Tensor:
        return (m(x) - target).abs().mean()

    def peer(m: nn.Module) -> torch.Tensor:
        xp = m.pad(x)
        h = stepped(m, lambda: torch.cat([m.features(xp[t:t + 1]) for t in range(steps)]))
        return (m.readout(h, size, size) - target).abs().mean()

    return Case("spiking U-Net (snn_recon_small)",
                f"ch 16 × [1, 2, 2], {size}×{size} (padded to 36), 2 event channels, T = {steps}, batch {batch}",
                build, ours, peer, (SnnResnetBlock, SnnAttnBlock))


def spikecnn_case() -> Case:
    from spikevision.models.spikecnn import SemiUNet

    batch, planes, size = 32, 32, 36
    gen = torch.Generator().manual_seed(1)
    x = (torch.rand(batch, planes, size, size, generator=gen) < 0.3).float() * 2 - 1
    target = torch.rand(batch, 1, size, size, generator=gen) * 2 - 1

    def build() -> nn.Module:
        torch.manual_seed(0)
        return SemiUNet(in_channels=planes, ch=16)

    def ours(m: nn.Module) -> torch.Tensor:
        return 100.0 * nn.functional.mse_loss(m(x), target)

    return Case("Semi-UNet (spikecnn, run_spikecnn_ndigits.sh)",
                f"ch 16, {planes} spike planes, {size}×{size}, batch {batch} (a CNN: no time steps)",
                build, ours, None, (),
                lambda p: torch.optim.Adam(p, 2e-4, betas=(0.5, 0.999)))


def jscc_case() -> Case:
    from spikevision.models.jscc import StereoJscc

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    from bench_jscc import per_step_forward  # the JSCC step-loop peer (same network, same weights)

    batch, size = 16, 64
    gen = torch.Generator().manual_seed(1)
    left, right = torch.rand(2, batch, 3, size, size, generator=gen)

    def build() -> nn.Module:
        torch.manual_seed(0)
        return StereoJscc(hidden_channels=64, activation="spike", time_steps=4,
                          neuron={"kind": "ilif", "max_spike_count": 2, "tau": 1.3333, "v_threshold": 1.0},
                          channel={"kind": "awgn", "snr_db": float("inf")})

    both = torch.cat([left, right])

    def ours(m: nn.Module) -> torch.Tensor:
        try:
            out = m(left, right, snr_db=float("inf"))
        finally:
            reset_states(m)  # as StereoJsccModel does after every forward
        return nn.functional.mse_loss(torch.cat([out["left"], out["right"]]), both)

    def peer(m: nn.Module) -> torch.Tensor:
        return nn.functional.mse_loss(stepped(m, lambda: per_step_forward(m, left, right)), both)

    return Case("stereo JSCC SNN (jscc_snn + jscc_small)",
                f"64 channels, {size}×{size} pairs, I-LIF ≤ 2 spikes, T = 4, batch {batch} pairs", build, ours, peer)


CASES = {"vqvae": vqvae_case, "prior": prior_case, "recon": recon_case, "spikecnn": spikecnn_case,
         "jscc": jscc_case}


# ------------------------------------------------------------------ measurement
class Stepper:
    """A network, its optimizer and the step function ``fn`` (ours or the peer)."""

    def __init__(self, net: nn.Module, fn: Callable[[nn.Module], torch.Tensor], case: Case) -> None:
        self.net, self.fn = net, fn
        self.opt = case.optimizer([p for p in net.parameters() if p.requires_grad])

    def __call__(self) -> float:
        start = time.perf_counter()
        loss = self.fn(self.net)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - start


def check_equal(case: Case) -> dict:
    """Ours vs peer on the same weights (eval mode): max |Δ| of the loss and of every gradient."""
    net = case.build().eval()
    results = []
    for fn in (case.ours, case.peer):
        net.zero_grad(set_to_none=True)
        loss = fn(net)
        loss.backward()
        results.append((loss.detach(), [p.grad.clone() for p in net.parameters() if p.grad is not None]))
    (l1, g1), (l2, g2) = results
    scale = max(float(b.abs().max()) for b in g2)  # biases before a norm have ~0 gradients: one scale
    grad_diff = max(float((a - b).abs().max()) for a, b in zip(g1, g2)) / scale
    return {"loss_ours": float(l1), "loss_peer": float(l2), "loss_abs_diff": float((l1 - l2).abs()),
            "grad_max_diff_rel_to_largest": grad_diff,
            "equal": bool(torch.allclose(l1, l2, rtol=1e-5, atol=1e-6) and len(g1) == len(g2) and grad_diff < 1e-4)}


def time_pair(case: Case, repeats: int) -> dict:
    base = case.build().train()
    ours = Stepper(base, case.ours, case)
    peer = Stepper(copy.deepcopy(base), case.peer, case) if case.peer else None
    ours(), peer() if peer else None  # warm-up (allocator, oneDNN primitives)
    t_ours, t_peer = [], []
    for _ in range(repeats):
        t_ours.append(ours())
        if peer:
            t_peer.append(peer())
    out = {"ours_ms": 1e3 * statistics.median(t_ours)}
    if peer:
        out["peer_ms"] = 1e3 * statistics.median(t_peer)
        out["speedup"] = statistics.median(p / o for o, p in zip(t_ours, t_peer))
    return out


def time_compiled(family: str, mode: str, repeats: int) -> dict:
    """In this process (a fresh one, see :func:`compiled_subprocess`): eager vs compiled, alternating."""
    case = CASES[family]()
    eager_net = case.build().train()
    comp_net = copy.deepcopy(eager_net)
    if mode == "whole":
        fn = torch.compile(case.ours, dynamic=False)
    else:
        regions = [m for m in comp_net.modules() if isinstance(m, case.blocks)] if case.blocks else [comp_net]
        for m in regions:
            m.compile(dynamic=False)
        fn = case.ours
    eager, comp = Stepper(eager_net, case.ours, case), Stepper(comp_net, fn, case)
    cpu = time.process_time()
    first = comp()
    first_cpu = time.process_time() - cpu  # compilation runs in this process (one compile thread)
    second = comp()  # the optimizer step may recompile nothing; a second call shows any leftover
    eager()
    t_e, t_c = [], []
    for _ in range(repeats):
        t_e.append(eager())
        t_c.append(comp())
    return {"first_call_s": first, "first_call_cpu_s": first_cpu, "second_call_s": second,
            "eager_ms": 1e3 * statistics.median(t_e), "compiled_ms": 1e3 * statistics.median(t_c),
            "speedup": statistics.median(e / c for e, c in zip(t_e, t_c)), "regions": mode}


def compiled_subprocess(family: str, mode: str, repeats: int, threads: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache, "TRITON_CACHE_DIR": cache,
               "TORCHINDUCTOR_COMPILE_THREADS": "1"}
        cmd = [sys.executable, os.path.abspath(__file__), "--_compiled", family, mode, "--repeats", str(repeats),
               "--threads", str(threads)]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"compilation did not finish within {timeout:.0f} s", "regions": mode}
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed", "regions": mode}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--compile", nargs="*", choices=("whole", "blocks"), default=[])
    p.add_argument("--compile-timeout", type=float, default=900.0)
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--_compiled", nargs=2, help=argparse.SUPPRESS)
    opt = p.parse_args()
    torch.set_num_threads(opt.threads)
    if opt._compiled:
        print(json.dumps(time_compiled(*opt._compiled, opt.repeats)))
        return
    print(f"torch {torch.__version__}, {opt.threads} thread(s), load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores; {opt.repeats} alternating repeats, medians")
    results = {}
    for family in opt.families:
        case = CASES[family]()
        res: dict = {"name": case.name, "shape": case.shape}
        if case.peer:
            res["check"] = check_equal(case)
        res.update(time_pair(case, opt.repeats))
        for mode in opt.compile:
            res[f"compile_{mode}"] = compiled_subprocess(family, mode, opt.repeats, opt.threads, opt.compile_timeout)
        results[family] = res
        print(f"\n{case.name}: {case.shape}")
        if case.peer:
            c = res["check"]
            print(f"  ours vs peer: equal={c['equal']} (loss Δ {c['loss_abs_diff']:.1e}, "
                  f"gradient max Δ / largest gradient {c['grad_max_diff_rel_to_largest']:.1e})")
            print(f"  eager: ours {res['ours_ms']:.0f} ms, per-time-step loop {res['peer_ms']:.0f} ms, "
                  f"speed-up {res['speedup']:.2f}×")
        else:
            print(f"  eager: {res['ours_ms']:.0f} ms (no per-time-step peer: not an SNN)")
        for mode in opt.compile:
            r = res[f"compile_{mode}"]
            if "error" in r:
                print(f"  compiled ({mode}): {r['error']}")
            else:
                print(f"  compiled ({mode}): {r['compiled_ms']:.0f} ms vs eager {r['eager_ms']:.0f} ms, "
                      f"speed-up {r['speedup']:.2f}×; first call {r['first_call_s']:.1f} s "
                      f"({r['first_call_cpu_s']:.1f} s CPU)")
    if opt.json:
        with open(opt.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
