"""Inference performance: latency, throughput, peak memory and (NVIDIA GPUs) power via NVML.

CPU memory is the process's peak resident set size (``resource.getrusage``; torch's CPU
allocator is invisible to ``tracemalloc``) plus the peak of Python-level allocations traced by
``tracemalloc`` during the measured block. GPU memory is ``torch.cuda.max_memory_allocated``.
Power is sampled by a background thread from ``pynvml`` (package ``nvidia-ml-py``) every
``interval`` seconds; energy per sample = mean power × time / samples. ``operations`` is the
arithmetic of one sample (dense MACs, real MACs, SynOps, and the 45 nm energy estimate of
:mod:`spikevision.metrics.synops`: MAC 4.6 pJ, AC 0.9 pJ, Horowitz ISSCC 2014), counted over every
convolution/linear layer the inference function runs.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import threading
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from typing import Any

import torch


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def nvml_handle(nvml: Any, cuda_index: int, properties: Any = None) -> Any:
    """The NVML handle of CUDA device ``cuda_index``. NVML numbers all GPUs of the machine while
    CUDA numbers only the visible ones (``CUDA_VISIBLE_DEVICES=2,3`` makes NVML's GPU 2 CUDA's 0),
    so the device is matched by its UUID, else by its PCI bus id; never by index."""
    props = properties if properties is not None else torch.cuda.get_device_properties(cuda_index)
    uuid = str(getattr(props, "uuid", "") or "")
    if uuid:
        try:
            return nvml.nvmlDeviceGetHandleByUUID(uuid if uuid.startswith(("GPU-", "MIG-")) else f"GPU-{uuid}")
        except Exception:  # older drivers: fall back to the PCI address
            pass
    bus = f"{props.pci_domain_id:08X}:{props.pci_bus_id:02X}:{props.pci_device_id:02X}.0"
    return nvml.nvmlDeviceGetHandleByPciBusId(bus)


class PowerSampler:
    """Sample GPU power (W) with NVML in a thread; ``available`` is False without NVML/GPU."""

    def __init__(self, device_index: int = 0, interval: float = 0.02) -> None:
        """``device_index``: the CUDA index (as in ``cuda:N``), matched to NVML by UUID/PCI id."""
        self.interval, self.samples = interval, []
        self.available, self.error = False, ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml = pynvml
            self._handle = nvml_handle(pynvml, device_index)
            self.available = True
        except Exception as err:  # no package, no driver, no GPU
            self.error = f"NVML unavailable: {err}"

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._nvml.nvmlDeviceGetPowerUsage(self._handle) / 1000.0)
            time.sleep(self.interval)

    def __enter__(self) -> PowerSampler:
        if self.available:
            self.samples.clear()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()

    def idle_watts(self, seconds: float = 0.5) -> float | None:
        """Mean power over ``seconds`` with nothing running (the baseline)."""
        if not self.available:
            return None
        with self:
            time.sleep(seconds)
        return sum(self.samples) / max(1, len(self.samples))


@dataclass
class PerfReport:
    """What :func:`measure` found; ``None`` fields were not measurable on this device."""

    device: str
    batch_size: int
    latency_ms: float                 # median per-batch time at batch size 1
    latency_p90_ms: float
    throughput_per_s: float           # samples/s at ``batch_size``
    peak_rss_mb: float
    python_peak_mb: float
    gpu_peak_mb: float | None = None
    power_idle_w: float | None = None
    power_active_w: float | None = None
    energy_per_sample_j: float | None = None
    operations: dict[str, Any] | None = None  # per sample: OpCount.summary() of one batch-1 call
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def measure(fn, example: torch.Tensor, batch_size: int = 16, repeats: int = 20, warmup: int = 3,
            count_ops: bool = True) -> PerfReport:
    """Time ``fn(x)`` on ``example`` ``[1, ...]`` (latency at batch 1, throughput at
    ``batch_size``), with memory, on CUDA NVML power, and (``count_ops``) the operation counts
    and energy estimate of one sample."""
    from spikevision.metrics.synops import count_operations

    device = example.device
    notes: list[str] = []
    single = example[:1]
    batch = example[:1].expand(batch_size, *example.shape[1:]).contiguous()
    operations = None
    for i in range(max(warmup, 1 if count_ops else 0)):
        if i == 0 and count_ops:  # the first warm-up call, counted (its hooks are gone before timing)
            operations = count_operations(None, lambda: fn(single), images=1).summary()
        else:
            fn(single)
        if i < warmup:
            fn(batch)
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    tracemalloc.start()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(single)
        _sync(device)
        times.append(time.perf_counter() - t0)
    sampler = PowerSampler(device.index or 0) if device.type == "cuda" else None
    idle = sampler.idle_watts() if sampler else None
    if sampler is not None and not sampler.available:
        notes.append(sampler.error)
    with sampler if sampler else contextlib.nullcontext():
        t0 = time.perf_counter()
        for _ in range(repeats):
            fn(batch)
        _sync(device)
        elapsed = time.perf_counter() - t0
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times.sort()
    active = (sum(sampler.samples) / len(sampler.samples)) if sampler and sampler.samples else None
    n = repeats * batch_size
    return PerfReport(
        device=(torch.cuda.get_device_name(device) if device.type == "cuda"
                else f"cpu ({torch.get_num_threads()} threads)"),
        batch_size=batch_size,
        latency_ms=1000 * times[len(times) // 2],
        latency_p90_ms=1000 * times[min(len(times) - 1, int(0.9 * len(times)))],
        throughput_per_s=n / elapsed,
        peak_rss_mb=_peak_rss_mb(),
        python_peak_mb=py_peak / 2**20,
        gpu_peak_mb=torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None,
        power_idle_w=idle,
        power_active_w=active,
        energy_per_sample_j=active * elapsed / n if active is not None else None,
        operations=operations,
        notes=notes,
    )

