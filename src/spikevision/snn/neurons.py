"""Spiking neurons: spikingjelly 2.x LIF in multi-step mode with configurable defaults.

Defaults are those of the temporal-codebook paper (BrainCog): tau=2, threshold 0.5, hard reset to 0
with the reset detached from the graph, piecewise-quadratic surrogate with alpha=2.
All neurons built here take tensors shaped ``[T, B, ...]`` (``step_mode='m'``).

On CPU the multi-step LIF and I-LIF run a fused time loop (:class:`SnnLIFNode`,
:class:`SnnILIFNode`): the forward writes the charged potentials ``H[t]`` into one buffer with
in-place ops, and the backward is the hand-written BPTT recursion, a few in-place passes per step
instead of an autograd graph of ~10 ops. Both run step by step into buffers allocated once per
call (not a fresh tensor per step and operation), a fresh (reset) state is not
materialised (the first charge skips the terms in ``V``), ``θ = 1`` skips the I-LIF's divisions,
and the decay of the backward carry is folded into the next step's multiply-add. Values equal
spikingjelly's (same operation order in the charge), gradients to float rounding
(``tests/test_snn_fused.py``). Under ``torch.compile`` they run spikingjelly's pure-torch
reference loop instead, which inductor fuses into a few kernels. CUDA, ``store_v_seq``, explicit
neuron precision and custom surrogates keep spikingjelly's own kernels; single-step mode
(``'s'``) is spikingjelly's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from spikingjelly.activation_based import functional, neuron, surrogate
from torch import nn

LIF_DEFAULTS: dict[str, Any] = {
    "tau": 2.0,
    "v_threshold": 0.5,
    "v_reset": 0.0,
    "detach_reset": True,
    "surrogate": "PiecewiseQuadratic",
    "surrogate_alpha": 2.0,
    "decay_input": True,
}


def make_surrogate(name: str, alpha: float) -> surrogate.SurrogateFunctionBase:
    """A spikingjelly surrogate gradient function by class name (e.g. ``Sigmoid``, ``ATan``)."""
    cls = getattr(surrogate, name, None)
    if cls is None or not isinstance(cls, type):
        names = [n for n in dir(surrogate) if n[0].isupper() and not n.endswith("Base")]
        raise ValueError(f"unknown surrogate '{name}'; spikingjelly offers {names}")
    return cls(alpha=alpha)


def _bptt(grad_out: torch.Tensor | None, grad_v: torch.Tensor | None, h_seq: torch.Tensor,
          local_grads: Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float],
          decay: float, input_scale: float, dtype: torch.dtype, gate: torch.Tensor | None = None,
          v_threshold: float = 0.0, need_grad_v: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Backward through ``H[t] = decay·V[t−1] + input_scale·X[t]``, ``V[t] = reset(H[t], S[t])``.

    ``local_grads(H[t], out)`` writes ``dS/dH`` of one step into ``out`` and returns ``dV/dH`` (a
    float, or a tensor valid until the next call).
    ``dL/dH[t] = g_S[t]·dS/dH[t] + (g_V[t] + decay·dL/dH[t+1])·dV/dH[t]``; returns (``dL/dX``
    ``[T, ...]``, ``dL/dV[0]`` or ``None`` without ``need_grad_v``). With ``gate`` (the input ``X``),
    the output was ``X·S`` (the LIF-nonlinearity): ``g_S = g·X`` and ``dL/dX`` gains ``g·S``
    (``S = H ≥ v_threshold``). Run step by step so each step's tensors stay in cache, into buffers
    allocated once per call; the decay is applied inside
    the next step's multiply-add (``carry·k``), not as a pass of its own. ``None`` incoming
    gradients are zero.
    """
    grad_x = torch.empty_like(h_seq, dtype=dtype)  # the layout of H (channels-last stays so)
    carry, k = (None, 1.0) if grad_v is None else (grad_v.float(), 1.0)  # dL/dV[t] = k·carry
    # dL/dX[t] can carry the recursion (full precision, no X·S term): then it is dL/dH[t] itself
    # (input_scale 1) or input_scale·dL/dH[t]; otherwise two scratch buffers alternate
    via_grad_x = gate is None and grad_x.dtype == h_seq.dtype
    direct = via_grad_x and input_scale == 1.0
    scratch = [] if direct else [torch.empty_like(h_seq[0]) for _ in range(1 if via_grad_x else 2)]
    spike = torch.empty_like(h_seq[0]) if gate is not None else None
    for i, t in enumerate(range(h_seq.shape[0] - 1, -1, -1)):
        grad_h = grad_x[t] if direct else scratch[i % len(scratch)]
        reset_grad = local_grads(h_seq[t], grad_h)
        if grad_out is None:
            grad_h.zero_()
        else:
            grad_h.mul_(grad_out[t])
            if gate is not None:
                grad_h.mul_(gate[t])
        if carry is not None:
            if isinstance(reset_grad, torch.Tensor):
                grad_h.addcmul_(carry, reset_grad, value=k)
            else:
                grad_h.add_(carry, alpha=k * reset_grad)
        if direct:
            carry, k = grad_h, decay
            continue
        torch.mul(grad_h, input_scale, out=grad_x[t])
        if gate is not None and grad_out is not None:
            grad_x[t].addcmul_(grad_out[t], torch.ge(h_seq[t], v_threshold, out=spike))
        if via_grad_x:
            carry, k = grad_x[t], decay / input_scale
        else:
            carry, k = grad_h, decay  # the other scratch buffer is written next
    return grad_x, (carry * k if need_grad_v and carry is not None else None)


def _lif_local_grads(v_threshold: float, v_reset: float | None, detach_reset: bool, surrogate_id: int,
                     alpha: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float]:
    """``local(H, out)``: ``dS/dH`` of one LIF step into ``out``, returns ``dV/dH``, as spikingjelly's
    CPU backward computes them."""
    from spikingjelly._ops.surrogate import _SURROGATE_IDS, _surrogate_gradient

    reset_buffer: list[torch.Tensor] = []

    def buffer(h: torch.Tensor) -> torch.Tensor:
        if not reset_buffer:
            reset_buffer.append(torch.empty_like(h))
        return reset_buffer[0]

    def local(h: torch.Tensor, out: torch.Tensor) -> torch.Tensor | float:
        if surrogate_id == _SURROGATE_IDS["PiecewiseQuadratic"]:  # in place: (α − α²|x|)⁺
            torch.sub(h, v_threshold, out=out).abs_().mul_(-alpha * alpha).add_(alpha).clamp_min_(0)
        else:
            out.copy_(_surrogate_gradient(h - v_threshold, alpha, surrogate_id))
        if v_reset is None:  # soft reset V = H − S·θ
            return 1.0 if detach_reset else torch.mul(out, -v_threshold, out=buffer(h)).add_(1.0)
        reset_grad = torch.lt(h, v_threshold, out=buffer(h))  # hard reset: 1 − S
        if not detach_reset:
            reset_grad.addcmul_(v_reset - h, out)
        return reset_grad

    return local


class _FusedLIF(torch.autograd.Function):
    """Multi-step LIF (spikingjelly's charge, fire, reset) with a hand-written backward.

    ``gate=True`` returns ``X·S`` instead of ``S`` (the LIF-nonlinearity, one pass fewer and no
    separate autograd node for the product). ``v=None``: the fresh state ``V = V_reset`` (0 for a
    soft reset), whose charge skips the terms in ``V`` (the same values; a zero may change sign).
    """

    @staticmethod
    def forward(ctx: Any, x_seq: torch.Tensor, v: torch.Tensor | None, tau: float, decay_input: bool,
                v_threshold: float, v_reset: float | None, detach_reset: bool, surrogate_id: int,
                alpha: float, gate: bool) -> tuple[torch.Tensor, torch.Tensor]:
        x32 = x_seq.float()
        v = None if v is None else v.float()
        h_seq = torch.empty_like(x32)  # X's layout (a channels-last conv output stays one)
        out = torch.empty_like(h_seq)
        spike = torch.empty_like(h_seq[0]) if gate else None
        v_next = torch.empty_like(h_seq[0])  # V[t] (the charge has read V[t−1] by then)
        reset_value = 0.0 if v_reset is None else v_reset
        for t in range(x32.shape[0]):
            h = h_seq[t]
            s = spike if gate else out[t]
            if v is None:  # V = V_reset: H = X/tau + V_reset, or X + V_reset
                if decay_input:
                    torch.div(x32[t], tau, out=h)
                    if reset_value != 0.0:
                        h.add_(reset_value)
                else:
                    torch.add(x32[t], reset_value, out=h)
            else:
                shifted = v if reset_value == 0.0 else v - reset_value
                if decay_input:  # H = V + (X − (V − V_reset)) / tau, spikingjelly's order of operations
                    torch.sub(x32[t], shifted, out=h).div_(tau).add_(v)
                else:  # H = V − (V − V_reset) / tau + X
                    torch.sub(v, shifted / tau, out=h).add_(x32[t])
            torch.ge(h, v_threshold, out=s)  # float spikes (bool masks are slow on CPU)
            if v_reset is None:  # S ∈ {0, 1}: every form below is exact
                v = torch.sub(h, s, alpha=v_threshold, out=v_next)
            elif v_reset == 0.0:
                v = torch.addcmul(h, h, s, value=-1.0, out=v_next)
            else:
                v = torch.mul(1.0 - s, h, out=v_next).add_(s, alpha=v_reset)
            if gate:
                torch.mul(x32[t], s, out=out[t])
        ctx.save_for_backward(h_seq, x_seq if gate else None)
        ctx.config = (tau, decay_input, v_threshold, v_reset, detach_reset, surrogate_id, alpha)
        ctx.in_dtype = x_seq.dtype
        ctx.set_materialize_grads(False)
        return out.to(x_seq.dtype), v

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor | None, grad_v: torch.Tensor | None) -> tuple:
        h_seq, gate = ctx.saved_tensors
        tau, decay_input, v_threshold, v_reset, detach_reset, surrogate_id, alpha = ctx.config
        local = _lif_local_grads(v_threshold, v_reset, detach_reset, surrogate_id, alpha)
        grad_x, grad_v0 = _bptt(grad_out, grad_v, h_seq, local, 1.0 - 1.0 / tau,
                                1.0 / tau if decay_input else 1.0, ctx.in_dtype, gate, v_threshold,
                                ctx.needs_input_grad[1])
        return (grad_x, grad_v0, None, None, None, None, None, None, None, None)


class _FusedILIF(torch.autograd.Function):
    """Multi-step I-LIF (spikingjelly's integer LIF: ``S = round(clip(H/θ, 0, D))``, soft reset).
    ``v=None``: the fresh state ``V = 0`` (then ``H[0] = X[0]``); ``θ = 1`` skips the divisions."""

    @staticmethod
    def forward(ctx: Any, x_seq: torch.Tensor, v: torch.Tensor | None, tau: float, v_threshold: float,
                max_count: float, grad_min: float, grad_max: float, detach_reset: bool,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        x32 = x_seq.float()
        v = None if v is None else v.float()
        h_seq = torch.empty_like(x32)  # X's layout (a channels-last conv output stays one)
        spikes = torch.empty_like(h_seq)
        v_next = torch.empty_like(h_seq[0])
        decay = 1 - 1 / tau
        for t in range(x32.shape[0]):
            h, s = h_seq[t], spikes[t]
            if v is None:
                h.copy_(x32[t])
            else:
                torch.mul(v, decay, out=h).add_(x32[t])  # H = (1 − 1/tau)·V + X
            if v_threshold == 1.0:  # H/1 and S·1 are exact: the same values without the passes
                torch.clamp(h, 0, max_count, out=s).round_()
                v = torch.sub(h, s, out=v_next)
            else:
                torch.div(h, v_threshold, out=s).clamp_(0, max_count).round_()
                v = torch.sub(h, torch.mul(s, v_threshold, out=v_next), out=v_next)  # H − fl(S·θ)
        ctx.save_for_backward(h_seq)
        ctx.config = (tau, v_threshold, grad_min, grad_max, detach_reset)
        ctx.in_dtype = x_seq.dtype
        ctx.set_materialize_grads(False)
        return spikes.to(x_seq.dtype), v

    @staticmethod
    def backward(ctx: Any, grad_spikes: torch.Tensor | None, grad_v: torch.Tensor | None) -> tuple:
        (h_seq,) = ctx.saved_tensors
        tau, v_threshold, grad_min, grad_max, detach_reset = ctx.config
        inside, scaled, reset_grad = (torch.empty_like(h_seq[0]) for _ in range(3))

        def local(h: torch.Tensor, out: torch.Tensor) -> torch.Tensor | float:
            # rectangular window on H/θ (spikingjelly's MultiLevelSpikeCount), float masks
            z = h if v_threshold == 1.0 else torch.div(h, v_threshold, out=scaled)
            torch.ge(z, grad_min, out=out).mul_(torch.le(z, grad_max, out=inside))
            if v_threshold != 1.0:
                out.div_(v_threshold)
            return 1.0 if detach_reset else torch.mul(out, -v_threshold, out=reset_grad).add_(1.0)

        grad_x, grad_v0 = _bptt(grad_spikes, grad_v, h_seq, local, 1.0 - 1.0 / tau, 1.0, ctx.in_dtype,
                                need_grad_v=ctx.needs_input_grad[1])
        return (grad_x, grad_v0, None, None, None, None, None, None)


def _fusable(node: neuron.BaseNode, x_seq: torch.Tensor) -> bool:
    return (x_seq.device.type == "cpu" and x_seq.dim() >= 2 and not node.store_v_seq
            and getattr(node, "_neuron_precision", None) is None
            and x_seq.dtype in (torch.float32, torch.bfloat16, torch.float16))


def _initial_v(node: neuron.BaseNode, x_seq: torch.Tensor) -> torch.Tensor:
    return node.materialize_states((x_seq,), tuple(node._memories.values()), "m")[0]


def _state_or_fresh(node: neuron.BaseNode, x_seq: torch.Tensor, fresh: float) -> torch.Tensor | None:
    """The membrane ``[B, ...]`` to start from, or ``None`` for the reset state ``fresh`` (not
    materialised: the fused loops' first charge then skips it)."""
    v = node._memories["v"]
    return None if isinstance(v, float) and v == fresh else _initial_v(node, x_seq)


class SnnLIFNode(neuron.LIFNode):
    """spikingjelly's LIFNode with the fused CPU multi-step loop (module docstring)."""

    def _fused(self, x_seq: torch.Tensor, gate: bool) -> torch.Tensor | None:
        from spikingjelly._ops.surrogate import _surrogate_spec

        spec = _surrogate_spec(self.surrogate_function)  # None: a custom surrogate
        if spec is None or self.step_mode != "m" or not _fusable(self, x_seq):
            return None
        if torch.compiler.is_compiling():  # spikingjelly's pure-torch loop, which inductor fuses
            from spikingjelly._ops.lif.reference import multi_step
            from spikingjelly._ops.surrogate import _surrogate_spike

            spikes, v, _ = multi_step(x_seq, _initial_v(self, x_seq), self.tau, self.decay_input,
                                      self.v_threshold, self.v_reset,
                                      lambda z: _surrogate_spike(z, spec[1], spec[0]), self.detach_reset)
            self._memories["v"] = v
            return x_seq * spikes if gate else spikes
        fresh = 0.0 if self.v_reset is None else float(self.v_reset)
        out, v = _FusedLIF.apply(x_seq, _state_or_fresh(self, x_seq, fresh), self.tau, self.decay_input,
                                 float(self.v_threshold), None if self.v_reset is None else float(self.v_reset),
                                 self.detach_reset, *spec, gate)
        self._memories["v"] = v
        self.v_seq = None
        return out

    def multi_step_forward(self, x_seq: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        out = None if args or kwargs else self._fused(x_seq, gate=False)
        return super().multi_step_forward(x_seq, *args, **kwargs) if out is None else out

    def gated(self, x: torch.Tensor) -> torch.Tensor:
        """``x · LIF(x)`` (the LIF-nonlinearity) in one fused pass where possible; while the neuron
        has forward hooks (a firing-rate monitor, spikevision.snn.firing) the spikes go through
        ``self(x)`` so the hooks see them."""
        out = None if self._forward_hooks or self._forward_pre_hooks else self._fused(x, gate=True)
        return x * self(x) if out is None else out


class SnnILIFNode(neuron.ILIFNode):
    """spikingjelly's ILIFNode with the fused CPU multi-step loop (module docstring)."""

    def multi_step_forward(self, x_seq: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        if args or kwargs or not _fusable(self, x_seq):
            return super().multi_step_forward(x_seq, *args, **kwargs)
        sf = self.surrogate_function
        if torch.compiler.is_compiling():  # spikingjelly's pure-torch loop, which inductor fuses
            from spikingjelly._ops.ilif.reference import multi_step

            spikes, v, _ = multi_step(x_seq, _initial_v(self, x_seq), self.tau, float(sf.max_spike_count),
                                      float(sf.grad_min), float(sf.grad_max), float(self.v_threshold),
                                      self.detach_reset)
            self.v = v
            return spikes
        spikes, v = _FusedILIF.apply(x_seq, _state_or_fresh(self, x_seq, 0.0), self.tau, float(self.v_threshold),
                                     float(sf.max_spike_count), float(sf.grad_min), float(sf.grad_max),
                                     self.detach_reset)
        self.v = v
        self.v_seq = None
        return spikes


def make_lif(config: Mapping[str, Any] | None = None) -> neuron.LIFNode:
    """A multi-step LIF neuron; ``config`` overrides keys of :data:`LIF_DEFAULTS`."""
    cfg = {**LIF_DEFAULTS, **(dict(config) if config else {})}
    unknown = set(cfg) - set(LIF_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown LIF options {sorted(unknown)}; valid: {sorted(LIF_DEFAULTS)}")
    return SnnLIFNode(
        tau=float(cfg["tau"]),
        v_threshold=float(cfg["v_threshold"]),
        v_reset=None if cfg["v_reset"] is None else float(cfg["v_reset"]),
        detach_reset=bool(cfg["detach_reset"]),
        surrogate_function=make_surrogate(cfg["surrogate"], float(cfg["surrogate_alpha"])),
        decay_input=bool(cfg["decay_input"]),
        step_mode="m",
    )


NEURON_KINDS = ("lif", "if", "ilif")


def make_neuron(config: Mapping[str, Any] | None = None) -> neuron.BaseNode:
    """A multi-step spiking neuron from ``{kind: lif|if|ilif, ...}`` (default ``lif``).

    - ``lif``: :func:`make_lif` (the keys of :data:`LIF_DEFAULTS`);
    - ``if``: integrate-and-fire, ``v_threshold``, ``v_reset`` (``null`` = soft reset, which
      keeps the residue so the rate error shrinks as 1/T), ``detach_reset``, ``surrogate``,
      ``surrogate_alpha``;
    - ``ilif``: spikingjelly's integer LIF (I-LIF, Luo et al. ECCV 2024): up to
      ``max_spike_count`` spikes per step (multi-level spikes, soft reset), ``tau``,
      ``v_threshold``.
    """
    cfg = dict(config or {})
    kind = cfg.pop("kind", "lif")
    if kind == "lif":
        return make_lif(cfg)
    if kind == "if":
        allowed = {"v_threshold": 1.0, "v_reset": None, "detach_reset": True,
                   "surrogate": "ATan", "surrogate_alpha": 2.0}
        unknown = set(cfg) - set(allowed)
        if unknown:
            raise ValueError(f"unknown IF options {sorted(unknown)}; valid: {sorted(allowed)}")
        c = {**allowed, **cfg}
        return neuron.IFNode(v_threshold=float(c["v_threshold"]),
                             v_reset=None if c["v_reset"] is None else float(c["v_reset"]),
                             detach_reset=bool(c["detach_reset"]),
                             surrogate_function=make_surrogate(c["surrogate"], float(c["surrogate_alpha"])),
                             step_mode="m")
    if kind == "ilif":
        allowed = {"tau": 4.0 / 3.0, "v_threshold": 1.0, "max_spike_count": 4, "detach_reset": False}
        unknown = set(cfg) - set(allowed)
        if unknown:
            raise ValueError(f"unknown I-LIF options {sorted(unknown)}; valid: {sorted(allowed)}")
        c = {**allowed, **cfg}
        levels = int(c["max_spike_count"])
        return SnnILIFNode(tau=float(c["tau"]), v_threshold=float(c["v_threshold"]),
                           surrogate_function=surrogate.MultiLevelSpikeCount(levels),
                           detach_reset=bool(c["detach_reset"]), step_mode="m")
    raise ValueError(f"unknown neuron kind '{kind}'; choose from {NEURON_KINDS}")


class LIFNonlinearity(nn.Module):
    """The "LIF-nonlinearity" ``x * LIF(x)``: real values gated by spikes. ``[T, B, ...]``."""

    def __init__(self, lif: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.lif = make_lif(lif)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lif.gated(x) if isinstance(self.lif, SnnLIFNode) else x * self.lif(x)


def reset_states(module: nn.Module) -> None:
    """Reset every neuron's membrane state in ``module`` (call after each forward pass)."""
    functional.reset_net(module)
