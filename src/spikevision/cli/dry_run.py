"""``main.py --dry-run``: check a config stack before launching it (e.g. a 4-GPU config on a laptop).

Builds the configured (full-size) model and data pipeline, runs ``--dry-run-steps`` (2) training
steps at ``--dry-run-batch`` (1) on one device of this machine (CUDA when available, else CPU), and
prints the parameter count, step time, peak memory and a linear estimate for the configured
per-device batch; it says so when that estimate exceeds this machine's memory instead of trying.
Nothing is written outside a temporary folder: no run directory, no checkpoint, no logs.

What this machine lacks is stood in for, each named in the report:

- **data**: a dataset whose files are absent is replaced by :class:`FakeDataset`, random items of
  the structure and shapes the real class yields for the configured parameters (event and spike
  inputs through the real representation code, images, stereo pairs);
- **pretrained weights** (VGG16/VGG19 of the perceptual losses, CLIP tags such as ``openai``):
  random weights of the same architecture;
- **earlier stages**: a stage-2 prior's VQ-VAE run (``first_stage.run``) becomes the stage-1 run
  script's model with random weights; SpikeCLIP's exports (``${artifacts}/*.pt``) are written into
  the temporary folder by the shipped script that produces them (its model, random weights, the
  real ``export`` code), recursively; other missing checkpoints to initialise from are dropped.

Memory: CUDA reports ``torch.cuda.max_memory_allocated``; on CPU the peak is the process's
maximum resident set size increase during the steps (``resource.getrusage``), and the estimate
uses the bytes autograd saves for the backward pass (counted with saved-tensor hooks) per sample:
``estimate = parameters + gradients + optimizer state + batch × saved bytes per sample``.
"""

from __future__ import annotations

import inspect
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import lightning.pytorch as pl
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import Dataset

from spikevision.cli.launch_scripts import merged_config, run_script
from spikevision.errors import CheckpointNotFoundError, ConfigError, DatasetNotFoundError
from spikevision.registry import get_obj_from_str, instantiate_from_config, to_plain

GIB = 1024**3
#: event-camera datasets: sensor (H, W); their items go through the real EventRepresentation
EVENT_SENSORS = {"NMNIST": (34, 34), "CIFAR10DVS": (128, 128), "NCaltech101": (180, 240)}
#: classes per dataset (label names of fake data; SpikeCLIP encodes one prompt per class)
CLASS_COUNTS = {"NCaltech101": 101, "CelebA": 1, "LSUNBedroom": 1}
STEREO_CLASSES = ("KITTIStereo2015", "InStereo2K", "CityscapesStereo")
SPLIT_KEYS = ("train", "validation", "test")


# ---------------------------------------------------------------------------- fake data
class FakeDataset(Dataset):
    """``length`` random items shaped like ``template`` (``{key: tensor | int | str}``): float
    tensors uniform in [0, 1) (binary where the template is 0/1, counts where it is integer-valued),
    the same ints and strings; ``label_names`` as the real dataset would expose them."""

    def __init__(self, template: Mapping[str, Any], length: int = 16, label_names: Sequence[str] = ("fake",),
                 seed: int = 0) -> None:
        self.template = dict(template)
        self.length = int(length)
        self.label_names = list(label_names)
        self.seed = seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, Any]:
        g = torch.Generator().manual_seed(self.seed + index)
        item: dict[str, Any] = {}
        for key, value in self.template.items():
            if torch.is_tensor(value):
                if value.numel() and bool(((value == 0) | (value == 1)).all()):
                    rate = value.float().mean().clamp(0.05, 0.5)
                    item[key] = (torch.rand(value.shape, generator=g) < rate).to(value.dtype)
                elif value.numel() and bool((value == value.round()).all()):
                    item[key] = torch.poisson(torch.full(value.shape, max(float(value.float().mean()), 0.1)),
                                              generator=g).to(value.dtype)
                else:
                    item[key] = torch.rand(value.shape, generator=g, dtype=value.dtype)
            else:
                item[key] = value
        if "label" in item:
            item["label"] = index % len(self.label_names)
            item["label_name"] = self.label_names[item["label"]]
        if "index" in item:
            item["index"] = index
        return item


def _random_events(height: int, width: int, n: int = 20_000, seed: int = 0) -> np.ndarray:
    from spikevision.io.event_array import make_events

    rng = np.random.default_rng(seed)
    return make_events(rng.integers(0, width, n), rng.integers(0, height, n), np.sort(rng.integers(0, 300_000, n)),
                       rng.integers(0, 2, n))


def _pair(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value, value
    h, w = (int(v) for v in value)
    return h, w


def _defaults(cls: type, params: Mapping[str, Any]) -> dict[str, Any]:
    sig = inspect.signature(cls.__init__)
    merged = {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}
    merged.update(params)
    return merged


def fake_item(target: str, params: Mapping[str, Any], model: Any = None) -> tuple[dict[str, Any], list[str]]:
    """(one item of the structure ``target(**params)`` yields, its label names), without its files."""
    from spikevision.data.recording_dataset import resize_representation

    cls = get_obj_from_str(target, key_path="data target")
    name = cls.__name__
    p = _defaults(cls, params)
    n_classes = CLASS_COUNTS.get(name, 101 if str(p.get("variant", "")).endswith("caltech") else 10)
    labels = [f"class_{i}" for i in range(n_classes)]
    base = {"label": 0, "label_name": labels[0], "index": 0}
    if name in EVENT_SENSORS:
        from spikevision.data.representation import EventRepresentation

        h, w = EVENT_SENSORS[name]
        rep = EventRepresentation(**{"height": h, "width": w, **dict(p.get("representation") or {})})
        size = _pair(p.get("size"))
        x = resize_representation(torch.from_numpy(np.asarray(rep(_random_events(h, w)), np.float32)), size)
        item = {"input": x, **base}
        if p.get("image_root"):
            item["image"] = torch.rand(1 if p.get("grayscale", True) else 3, *x.shape[-2:])
        return item, labels
    if name == "UHSR":
        from spikevision.data.representation import SpikeBinRepresentation

        spikes = (np.random.default_rng(0).random((200, 224, 224)) < 0.2).astype(np.uint8)  # cropped 250 → 224
        x = torch.from_numpy(np.asarray(SpikeBinRepresentation(int(p.get("num_bins", 50)))(spikes), np.float32))
        x = resize_representation(x, _pair(p.get("size")))
        return {"input": x, "image": torch.rand(1, *x.shape[-2:]), **base}, labels
    if name == "SpikePairs":
        window = getattr(model, "input_frames", None) or 32
        h, w = _pair(p.get("crop")) or (250, 400)  # the spike camera's frame
        return {"input": (torch.rand(window, 1, h, w) < 0.2).float(), "image": torch.rand(1, h, w), **base}, labels
    if name in STEREO_CLASSES:
        from spikevision.data.stereo_pairs import resolve_preprocess

        crop, size = resolve_preprocess(p.get("preprocess", "dhf"), p.get("crop"), p.get("size"))
        h, w = size or crop or (375, 1242)
        return {"left": torch.rand(3, h, w), "right": torch.rand(3, h, w), "index": 0}, labels
    size = _pair(p.get("size"))
    if size is not None:  # an image dataset: [C, S, S] in [0, 1] as input and target
        channels = int(p.get("channels", 1 if p.get("grayscale") else 3))
        img = torch.rand(channels, *size)
        return {"input": img, "image": img, **base}, labels
    raise ConfigError(f"dry run: no fake data for {target}; give the dataset its files (or a smaller config)")


def shrink(item: Mapping[str, Any], max_side: int | None) -> dict[str, Any]:
    """``item`` with every image-like tensor (≥ 3 dims) centre-cropped to at most ``max_side``²."""
    from spikevision.transforms import center_crop

    out = dict(item)
    if max_side:
        for key, value in item.items():
            if torch.is_tensor(value) and value.dim() >= 3 and max(value.shape[-2:]) > max_side:
                out[key] = center_crop(value, (min(value.shape[-2], max_side), min(value.shape[-1], max_side)))
    return out


def fake_dataset_node(node: Mapping[str, Any], model: Any = None, length: int = 16,
                      max_side: int | None = None) -> FakeDataset:
    """A :class:`FakeDataset` standing in for the dataset config ``node`` (target/params); its
    images cropped to ``max_side`` when given."""
    item, labels = fake_item(node["target"], dict(node.get("params") or {}), model)
    return FakeDataset(shrink(item, max_side), length, labels)


# ---------------------------------------------------------------------------- stand-ins
def _random_vgg_file(cache_name: str, folder: Path) -> Path:
    import torchvision

    path = folder / cache_name
    if not path.is_file():
        arch = cache_name.split("-")[0]  # vgg16-397923af.pth → vgg16
        net = getattr(torchvision.models, arch)()
        torch.save(net.state_dict() if arch == "vgg16" else {f"features.{k}": v for k, v in
                                                             net.features.state_dict().items()}, path)
    return path


@cache
def shipped_script_config(script: Path) -> DictConfig:
    """The merged config of a shipped run script, cached: :meth:`StandIns.produce` scans all of
    them for each export it stands in for (≈ 5 s for the 77 scripts here). Callers copy it."""
    return merged_config([script])


@cache
def shipped_scripts() -> list[Path]:
    """Every ``train/stage_*/run_*.sh`` under the config root."""
    from spikevision.resources import config_root

    return sorted((config_root() / "train").glob("stage_*/run_*.sh"))


class StandIns:
    """Builds models (and earlier stages) with stand-ins for what is absent; see module doc."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.notes: list[str] = []
        self._stack = ExitStack()

    def __enter__(self) -> StandIns:
        import spikevision.clip.loading as clip_loading
        import spikevision.losses.lpips_loss as lpips_loss
        import spikevision.losses.perceptual as perceptual
        from spikevision.losses.pretrained import WeightsNotFoundError, find_weights

        def weights(what: str, path: Any, cache_name: str, url: str) -> Path:
            try:
                return find_weights(what, path, cache_name, url)
            except WeightsNotFoundError:
                self.note(f"random {what} weights (no {cache_name} here)")
                return _random_vgg_file(cache_name, self.scratch)

        resolve = clip_loading.resolve_pretrained

        def clip_weights(model_name: str, pretrained: str | None, cache_dir: str | None = None) -> str | None:
            try:
                return resolve(model_name, pretrained, cache_dir)
            except clip_loading.WeightsUnavailableError:
                self.note(f"random CLIP {model_name} weights ({pretrained} not available here)")
                return None

        for module in (perceptual, lpips_loss):
            self._stack.enter_context(mock.patch.object(module, "find_weights", weights))
        self._stack.enter_context(mock.patch.object(clip_loading, "resolve_pretrained", clip_weights))
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def artifacts(self) -> Path:
        return self.scratch / "artifacts"

    def redirect_artifacts(self, config: DictConfig) -> None:
        if "artifacts" in config:
            config.artifacts = str(self.artifacts / str(config.get("dataset_name", "run")))

    def prepare(self, config: DictConfig, depth: int = 0) -> None:
        """Stand in for the earlier stages ``config`` names (in place)."""
        from spikevision.stages import HANDOFF_KEYS, resolve_reference

        self.redirect_artifacts(config)
        resolved = OmegaConf.to_container(config.model, resolve=True)
        own = str((resolved.get("params") or {}).pop("export_path", None))  # what this stage writes
        for value in _strings(resolved):
            if value.startswith(str(self.artifacts)) and value != own and not Path(value).exists():
                self.produce(Path(value), config, depth)
        for key in HANDOFF_KEYS:
            value = OmegaConf.select(config, key, default=None)
            if not isinstance(value, str) or not value:
                continue
            try:
                resolve_reference(value)
                continue
            except CheckpointNotFoundError:
                pass
            if key == "model.params.first_stage.run":
                name = Path(value).name.split("*_", 1)[-1]
                try:
                    script = run_script(name)
                except ConfigError:
                    raise ConfigError(f"dry run: {key}={value} matches no run and no run script "
                                      f"run_{name}.sh") from None
                node = OmegaConf.create(OmegaConf.to_container(shipped_script_config(script).model, resolve=True))
                node.params.ckpt_path = None
                config.model.params.first_stage = node
                self.note(f"first stage: {script.name}'s model with random weights (no run {value})")
            else:
                OmegaConf.update(config, key, None)
                self.note(f"{key}: dropped ({value} absent; random initialisation)")

    def produce(self, path: Path, config: DictConfig, depth: int) -> None:
        """Write the export ``path`` with the shipped script whose ``export_path`` it is."""
        if depth > 4:
            raise ConfigError(f"dry run: cannot stand in for {path} (earlier stages nested too deep)")
        for script in shipped_scripts():
            cfg = OmegaConf.create(OmegaConf.to_container(shipped_script_config(script)))
            if cfg.get("dataset_name") != config.get("dataset_name") or "artifacts" not in cfg:
                continue
            self.redirect_artifacts(cfg)
            if str(OmegaConf.select(cfg, "model.params.export_path", default="")) != str(path):
                continue
            model = self.build_model(cfg, depth + 1)
            if hasattr(model, "label_names") and not model.label_names:  # a fit would read them from its data
                model.label_names = dataset_label_names(cfg)
            path.parent.mkdir(parents=True, exist_ok=True)
            model.export(path)
            self.note(f"{path.name}: exported by {script.name}'s model with random weights")
            return
        raise ConfigError(f"dry run: {path.name} is missing and no shipped run script exports it")

    def build_model(self, config: DictConfig, depth: int = 0) -> pl.LightningModule:
        self.prepare(config, depth)
        try:
            return instantiate_from_config(config.model, key_path="model")
        except DatasetNotFoundError:  # a dataset the model reads itself (SpikeCLIP's hq_images)
            node = OmegaConf.to_container(config.model, resolve=True)
            _replace_datasets(node, self)
            return instantiate_from_config(node, key_path="model")


def dataset_label_names(config: DictConfig) -> list[str]:
    """Class names of ``config``'s training dataset (the fake data's when its files are absent)."""
    node = OmegaConf.to_container(config.data.params.train, resolve=True)
    try:
        return list(instantiate_from_config(node, key_path="data.params.train").label_names)
    except (DatasetNotFoundError, FileNotFoundError):
        return fake_item(node["target"], dict(node.get("params") or {}))[1]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


def _replace_datasets(node: Any, stand: StandIns) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and str(value.get("target", "")).startswith("spikevision.data."):
                fake = fake_dataset_node(value)
                node[key] = {"target": "spikevision.cli.dry_run.FakeDataset",
                             "params": {"template": fake.template, "length": fake.length,
                                        "label_names": fake.label_names}}
                stand.note(f"{key}: fake {value['target'].rsplit('.', 1)[-1]} items (its files are absent)")
            else:
                _replace_datasets(value, stand)


class _FakeData(pl.LightningDataModule):
    """The configured DataModule's training split, or fake items of its structure."""

    def __init__(self, data: Any, dataset: Dataset, batch: int) -> None:
        super().__init__()
        self.data, self.ds, self.batch = data, dataset, batch

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        from spikevision.data.event_batch import collate_batch

        return torch.utils.data.DataLoader(self.ds, batch_size=self.batch, shuffle=False, collate_fn=collate_batch)

    def dataset(self, split: str) -> Dataset:
        return self.ds

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        return self.data.on_after_batch_transfer(batch, dataloader_idx) if self.data is not None else batch


def build_data(config: DictConfig, batch: int, model: Any, stand: StandIns,
               max_side: int | None = None) -> pl.LightningDataModule:
    """The configured training split at ``batch`` (no workers), or fake items where files are absent
    (cropped to ``max_side``² when given)."""
    data_cfg = OmegaConf.to_container(config.data, resolve=True)
    params = data_cfg.setdefault("params", {})
    train = params.get("train")
    if train is None:
        raise ConfigError("data.params.train: the dry run trains, and the config has no training split")
    params.update(batch_size=batch, num_workers=0, validation=None, test=None)
    data = instantiate_from_config(data_cfg, key_path="data")
    try:
        data.setup("fit")
        dataset = data.dataset("train")
        dataset[0]
        return _FakeData(data, dataset, batch)
    except (DatasetNotFoundError, FileNotFoundError) as err:
        stand.note(f"data: fake {train['target'].rsplit('.', 1)[-1]} items ({str(err).splitlines()[0][:120]})")
        if max_side:
            stand.note(f"fake inputs cropped to at most {max_side}×{max_side} (--dry-run-size): step time and "
                       "memory are those of the smaller inputs, not of the configured size")
        return _FakeData(None, fake_dataset_node(train, model, max(4, 2 * batch), max_side), batch)


# ---------------------------------------------------------------------------- measuring
@dataclass
class StepProbe(pl.Callback):
    """Per training step: wall time, peak memory, bytes autograd saved for the backward pass."""

    device: torch.device
    seconds: list[float] = field(default_factory=list)
    saved_bytes: list[int] = field(default_factory=list)
    rss_start_kib: int = 0
    cuda_peak: int = 0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.param_ptrs = {p.untyped_storage().data_ptr() for p in pl_module.parameters()}
        self.rss_start_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        seen: dict[int, int] = {}

        def pack(t: torch.Tensor) -> torch.Tensor:
            storage = t.untyped_storage()
            ptr = storage.data_ptr()
            if ptr not in self.param_ptrs:
                seen[ptr] = storage.nbytes()
            return t

        self._seen = seen
        self._hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
        self._hooks.__enter__()
        self._sync()
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self._sync()
        self.seconds.append(time.perf_counter() - self._t0)
        self._hooks.__exit__(None, None, None)
        self.saved_bytes.append(sum(self._seen.values()))
        if self.device.type == "cuda":
            self.cuda_peak = max(self.cuda_peak, torch.cuda.max_memory_allocated(self.device))

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    @property
    def rss_increase(self) -> int:
        return max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.rss_start_kib) * 1024


def machine_memory(device: torch.device) -> int:
    """Bytes of memory of ``device`` (the GPU's, or this machine's RAM)."""
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory)
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def state_bytes(model: torch.nn.Module, optimizers: Sequence[torch.optim.Optimizer]) -> int:
    """Bytes of the parameters, their gradients and the optimizers' state tensors."""
    total = sum(p.numel() * p.element_size() for p in model.parameters())
    total += sum(p.grad.numel() * p.grad.element_size() for p in model.parameters() if p.grad is not None)
    for opt in optimizers:
        for state in opt.state.values():
            total += sum(v.numel() * v.element_size() for v in state.values() if torch.is_tensor(v) and v.dim())
    return total


@dataclass
class DryRunReport:
    """What a dry run measured; :meth:`lines` is what it prints."""

    model: str
    parameters: int
    trainable: int
    device: str
    precision: str
    batch: int
    configured_batch: int
    configured_devices: str
    step_seconds: list[float]
    state_bytes: int
    saved_bytes_per_sample: float
    peak_bytes: int
    peak_kind: str
    estimate_bytes: int
    machine_bytes: int
    stand_ins: list[str]
    error: str = ""

    @property
    def fits(self) -> bool:
        return self.estimate_bytes <= self.machine_bytes

    def lines(self) -> list[str]:
        gib = lambda b: f"{b / GIB:.2f} GiB" if b >= GIB / 10 else f"{b / 2**20:.1f} MiB"  # noqa: E731
        step = min(self.step_seconds) if self.step_seconds else float("nan")
        out = [f"dry run: {self.model}, {self.parameters:,} parameters ({self.trainable:,} trainable)",
               f"  {len(self.step_seconds)} training steps at batch {self.batch} on {self.device} ({self.precision}): "
               f"{step:.3f} s/step (first {self.step_seconds[0]:.3f} s)" if self.step_seconds else "  no step ran",
               f"  peak memory {gib(self.peak_bytes)} ({self.peak_kind}); parameters + gradients + optimizer "
               f"state {gib(self.state_bytes)}; saved for backward {gib(self.saved_bytes_per_sample)} per sample",
               f"  estimate at the configured batch {self.configured_batch} per device ({self.configured_devices}): "
               f"{gib(self.estimate_bytes)}; {step * self.configured_batch / self.batch:.2f} s/step here"]
        if self.fits:
            out.append(f"  fits this {self.device}'s {gib(self.machine_bytes)}")
        else:
            out.append(f"  does NOT fit this {self.device} ({gib(self.machine_bytes)}) at batch "
                       f"{self.configured_batch}: it needs a device with at least {gib(self.estimate_bytes)}")
        if self.error:
            out.append(f"  {self.error}")
        out += [f"  stand-in: {s}" for s in self.stand_ins]
        return out


def _devices_text(trainer_cfg: Mapping[str, Any]) -> str:
    devices, nodes = trainer_cfg.get("devices", "auto"), trainer_cfg.get("num_nodes", 1)
    acc = trainer_cfg.get("accelerator", "auto")
    return f"{devices} × {acc}" + (f" × {nodes} nodes" if int(nodes or 1) > 1 else "")


def dry_run(config: DictConfig, batch: int = 1, steps: int = 2, max_side: int | None = None,
            printer: Callable[[str], None] | None = print) -> DryRunReport:
    """Build ``config``'s model and data, train ``steps`` steps at ``batch``, report; see module doc.
    ``max_side``: crop fake inputs to at most that many pixels a side (quick checks of big configs)."""
    if batch < 1 or steps < 1:
        raise ConfigError(f"--dry-run-batch and steps must be ≥ 1, got {batch} and {steps}")
    config = OmegaConf.create(OmegaConf.to_container(config))  # a copy; interpolations kept
    trainer_cfg: dict[str, Any] = to_plain((config.get("lightning") or {}).get("trainer")) or {}
    configured_batch = int(OmegaConf.select(config, "data.params.batch_size", default=batch) or batch)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    precision = str(trainer_cfg.get("precision", "32-true"))
    if device.type == "cpu" and precision in ("16-mixed", "16"):
        precision = "bf16-mixed"  # what Lightning runs for it on a CPU
    with tempfile.TemporaryDirectory(prefix="spikevision-dry-run-") as tmp, StandIns(Path(tmp)) as stand:
        model = stand.build_model(config)
        from spikevision.models.compile import compile_options
        from spikevision.snn.backend import set_snn_backend

        set_snn_backend(model, config.get("snn_backend"))
        compile_options(OmegaConf.select(config, "model.params.compile", default=None))  # validated
        error = ""
        while True:
            data = build_data(config, batch, model, stand, max_side)
            probe = StepProbe(device)
            trainer = pl.Trainer(accelerator=device.type, devices=1, precision=precision, max_epochs=1,
                                 limit_train_batches=steps, limit_val_batches=0, num_sanity_val_steps=0,
                                 logger=False, enable_checkpointing=False, enable_progress_bar=False,
                                 enable_model_summary=False, default_root_dir=tmp, callbacks=[probe],
                                 gradient_clip_val=trainer_cfg.get("gradient_clip_val"))
            try:
                trainer.fit(model, datamodule=data)
            except (torch.OutOfMemoryError, MemoryError) as err:
                error = f"out of memory at batch {batch}: {str(err).splitlines()[0][:200]}"
            except ValueError as err:  # batch norm on a 1×1 map cannot train on one sample
                if batch != 1 or "more than 1 value per channel" not in str(err):
                    raise
                batch = 2
                stand.note("batch 2, not 1: a batch-norm layer sees 1×1 maps and cannot train on one sample")
                continue
            break
        state = state_bytes(model, trainer.optimizers)
    saved = max(probe.saved_bytes) / batch if probe.saved_bytes else 0.0
    if device.type == "cuda":
        peak, kind = probe.cuda_peak, "torch.cuda.max_memory_allocated"
        per_sample = max(0.0, (peak - state) / batch)
    else:
        peak, kind = probe.rss_increase, "CPU max RSS increase"
        per_sample = saved
    report = DryRunReport(
        model=str(config.model.target).rsplit(".", 1)[-1],
        parameters=sum(p.numel() for p in model.parameters()),
        trainable=sum(p.numel() for p in model.parameters() if p.requires_grad),
        device=device.type, precision=precision, batch=batch, configured_batch=configured_batch,
        configured_devices=_devices_text(trainer_cfg), step_seconds=probe.seconds, state_bytes=state,
        saved_bytes_per_sample=saved, peak_bytes=peak, peak_kind=kind,
        estimate_bytes=int(state + per_sample * configured_batch), machine_bytes=machine_memory(device),
        stand_ins=list(stand.notes), error=error)
    if printer is not None:
        for line in report.lines():
            printer(line)
    return report
