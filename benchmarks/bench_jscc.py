"""Speed of the spiking JSCC codec: time folded into the batch vs a Python loop over time steps.

Our SNN codec keeps tensors as ``[T·B, C, H, W]`` so each convolution and BatchNorm runs once
for all T steps (only the neurons unfold time, spikingjelly multi-step). The peer is the same
network, same weights, run the usual step-by-step way: a loop over t, each layer applied to
``[B, C, H, W]`` and each neuron in single-step mode. In eval mode both give identical outputs
(checked); training time (forward + backward) uses each one's own BatchNorm statistics. The
matched CNN is timed too. Prints times and ratios.

    python benchmarks/bench_jscc.py [--batch 16] [--size 64] [--channels 64] [--steps 4] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import torch
from spikingjelly.activation_based import functional

from spikevision.models.jscc import StereoJscc
from spikevision.snn.neurons import reset_states


def per_step_forward(system: StereoJscc, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """The single-view codec run step by step (the peer); returns the decoded batch of both views."""
    enc, dec = system.encoder, system.decoder
    x = torch.cat([left, right])
    first = enc.units[0]
    h0 = first.norm(first.conv(x))
    feats = 0.0
    for _ in range(system.time_steps):
        h = first.act.neuron(h0)
        for unit in enc.units[1:]:
            h = unit.act.neuron(unit.norm(unit.conv(h)))
        feats = feats + h
    z = enc.head(feats / system.time_steps)
    y = system.channel(z, snr_db=float("inf"))
    s0 = dec.stem(y)
    acc = 0.0
    for _ in range(system.time_steps):
        h = dec.stem_act.neuron(s0)
        for unit in dec.units:
            h = unit.act.neuron(unit.norm(unit.conv(h)))
        acc = acc + h
    return torch.sigmoid(dec.out_conv(acc / system.time_steps))


def folded_forward(system: StereoJscc, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    out = system(left, right, snr_db=float("inf"))
    return torch.cat([out["left"], out["right"]])


def timed(fn, repeats: int, backward: bool) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        if backward:
            out.mean().backward()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    torch.manual_seed(0)
    neuron = {"kind": "ilif", "max_spike_count": 2}
    snn = StereoJscc(hidden_channels=args.channels, activation="spike", time_steps=args.steps, neuron=neuron,
                     channel={"kind": "awgn", "snr_db": float("inf")})
    cnn = StereoJscc(hidden_channels=args.channels, channel={"kind": "awgn", "snr_db": float("inf")})
    left = torch.rand(args.batch, 3, args.size, args.size)
    right = torch.rand(args.batch, 3, args.size, args.size)

    def run_folded():
        reset_states(snn)
        return folded_forward(snn, left, right)

    def run_steps():
        reset_states(snn)
        functional.set_step_mode(snn, "s")
        try:
            return per_step_forward(snn, left, right)
        finally:
            functional.set_step_mode(snn, "m")

    def run_cnn():
        return folded_forward(cnn, left, right)

    snn.eval()
    cnn.eval()
    with torch.no_grad():
        diff = float((run_folded() - run_steps()).abs().max())
        results = {"eval": (timed(run_folded, args.repeats, False), timed(run_steps, args.repeats, False),
                            timed(run_cnn, args.repeats, False))}
    snn.train()
    cnn.train()
    results["train"] = (timed(run_folded, args.repeats, True), timed(run_steps, args.repeats, True),
                        timed(run_cnn, args.repeats, True))
    print(f"stereo JSCC codec, batch {args.batch} pairs of {args.size}×{args.size}, {args.channels} channels,"
          f" T = {args.steps}, {torch.get_num_threads()} threads; eval outputs differ by at most {diff:.2e}")
    print("| pass | SNN folded (ours) | SNN step loop (peer) | speed-up | matched CNN | SNN / CNN |")
    print("|---|---|---|---|---|---|")
    for name, (ours, peer, cnn_t) in results.items():
        label = "forward (eval)" if name == "eval" else "forward + backward (train)"
        print(f"| {label} | {ours * 1e3:.0f} ms | {peer * 1e3:.0f} ms | {peer / ours:.2f}× | {cnn_t * 1e3:.0f} ms"
              f" | {ours / cnn_t:.1f}× |")


if __name__ == "__main__":
    main()
