"""Stage 2: the spiking transformer prior over a frozen stage-1 VQ-VAE's code indices.

Sequences are ``[c, z_1 … z_{N−1}]`` → predict ``[z_1 … z_N]`` (``N = h·w``), where ``c`` is
the start token (unconditional) or the class token ``vocab + label`` (class-conditional).
Temporal codebook: one code map per image. Vanilla codebook (ablation): T code maps; training
uses the map of one random time step per batch, sampling draws T independent maps (as in the
paper's baseline, which is why its frames are incoherent over time).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from spikevision.models.compile import CompileSpec, compile_networks
from spikevision.models.frozen_stage import FrozenStage
from spikevision.registry import instantiate_from_config, renamed_arguments
from spikevision.sample.tokens import sample_tokens
from spikevision.stages import build_model
from spikevision.visualize import image_panels

OLD_NAMES = {"transformer_config": "network"}  # saved run configs and checkpoints use it


class SnnTransformerModel(FrozenStage, pl.LightningModule):
    """``first_stage``: spec of the trained VQ-VAE (``{run: DIR_OR_GLOB}``, ``{config, ckpt}`` or
    a target/params node); ``network``: target/params of :class:`SnnGPT` (its ``vocab_size``,
    ``block_size`` and ``n_cond`` are filled in from the first stage; old name
    ``transformer_config``). ``conditional``: class token from ``batch[class_key]`` with
    ``n_classes`` classes."""

    def __init__(
        self,
        network: Mapping[str, Any] | None = None,
        first_stage: Mapping[str, Any] | None = None,
        conditional: bool = False,
        n_classes: int = 10,
        class_key: str = "label",
        learning_rate: float = 1e-4,
        weight_decay: float = 0.01,
        betas: tuple[float, float] = (0.9, 0.95),
        monitor: str = "val/loss",
        monitor_mode: str = "min",
        log_samples: int = 8,
        compile: CompileSpec = False,
        **old_names: Any,
    ) -> None:
        super().__init__()
        args = renamed_arguments(old_names, OLD_NAMES, "SnnTransformerModel",
                                 {"network": network, "first_stage": first_stage}, required=("network", "first_stage"))
        network, first_stage = args["network"], args["first_stage"]
        self.save_hyperparameters()
        stage1 = self.freeze_stage("first_stage", build_model(first_stage, key_path="model.params.first_stage"))
        self.per_step = stage1.quantize.kind == "vanilla"
        size = stage1.crop or stage1.hparams.network.get("resolution", 256)
        self.code_shape = (size // stage1.downsample, size // stage1.downsample)
        self.vocab = stage1.quantize.n_e
        self.conditional, self.n_classes, self.class_key = conditional, n_classes, class_key
        n_cond = n_classes if conditional else 1
        params = {"vocab_size": self.vocab, "n_cond": n_cond,
                  "block_size": self.code_shape[0] * self.code_shape[1]}
        cfg = dict(network)
        cfg["params"] = {**params, **dict(cfg.get("params") or {})}
        self.transformer = instantiate_from_config(cfg, key_path="model.params.network")
        self.learning_rate, self.weight_decay, self.betas = learning_rate, weight_decay, tuple(betas)
        self.monitor, self.monitor_mode, self.log_samples = monitor, monitor_mode, log_samples
        compile_networks(self, compile, "transformer")  # torch.compile (spikevision.models.compile)

    # ---------------------------------------------------------------- tokens
    def cond_tokens(self, batch_size: int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``[B, 1]`` start token (unconditional) or class tokens ``vocab + label``."""
        if not self.conditional:
            return torch.full((batch_size, 1), self.vocab, dtype=torch.long, device=self.device)
        if labels is None:
            raise ValueError("a class-conditional prior needs labels")
        labels = torch.as_tensor(labels, device=self.device).long().view(-1, 1)
        if labels.min() < 0 or labels.max() >= self.n_classes:
            raise ValueError(f"labels must be in [0, {self.n_classes}), got {labels.flatten().tolist()}")
        return labels + self.vocab

    @torch.no_grad()
    def encode_codes(self, batch: Mapping[str, Any]) -> torch.Tensor:
        """Code sequences ``[B, h·w]`` of a batch (vanilla: one random time step's map)."""
        _, _, info = self.first_stage.encode(self.first_stage.get_input(batch))
        idx = info["indices"]
        if self.per_step:
            idx = idx[torch.randint(idx.shape[0], (1,)).item()]
        return idx.flatten(1)

    def _loss(self, batch: Mapping[str, Any]) -> torch.Tensor:
        codes = self.encode_codes(batch)
        labels = batch.get(self.class_key) if self.conditional else None
        inp = torch.cat([self.cond_tokens(codes.shape[0], labels), codes[:, :-1]], dim=1)
        logits, _ = self.transformer(inp)
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), codes.reshape(-1))

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> torch.Tensor:
        loss = self._loss(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch[self.first_stage.image_key]))
        return loss

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self.log("val/loss", self._loss(batch), prog_bar=True, sync_dist=True,
                 batch_size=len(batch[self.first_stage.image_key]))

    def test_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self.log("test/loss", self._loss(batch), sync_dist=True, batch_size=len(batch[self.first_stage.image_key]))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """AdamW; weight decay on Linear weights only (not biases, norms, embeddings, neurons)."""
        decay, no_decay = [], []
        for module in self.transformer.modules():
            for name, p in module.named_parameters(recurse=False):
                (decay if isinstance(module, nn.Linear) and name == "weight" else no_decay).append(p)
        groups = [{"params": decay, "weight_decay": self.weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=self.learning_rate, betas=self.betas)

    # ---------------------------------------------------------------- sampling
    @torch.no_grad()
    def sample_codes(self, num: int, code_shape: tuple[int, int] | None = None,
                     labels: torch.Tensor | None = None, temperature: float = 1.0,
                     top_k: int | None = None, top_p: float | None = None, use_cache: bool = True,
                     generator: torch.Generator | None = None, on_step: Any = None) -> torch.Tensor:
        """Sample code maps: temporal ``[num, h, w]``; vanilla ``[T, num, h, w]``."""
        h, w = code_shape or self.code_shape
        maps = self.first_stage.time_steps if self.per_step else 1
        cond = self.cond_tokens(num, labels).repeat(maps, 1)
        tokens = sample_tokens(self.transformer, cond, h * w, temperature, top_k, top_p, use_cache,
                               generator, on_step)
        tokens = tokens.view(maps, num, h, w)
        return tokens if self.per_step else tokens[0]

    @torch.no_grad()
    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Code maps → data in [0, 1]: images ``[N, C, H, W]`` or event frames ``[N, T, C, H, W]``."""
        return self.first_stage.to_unit(self.first_stage.decode_code(codes))

    @torch.no_grad()
    def log_images(self, batch: Mapping[str, Any], max_images: int = 8) -> dict[str, torch.Tensor]:
        """Reconstructions of the batch's codes next to unconditional/class samples."""
        n = min(max_images, self.log_samples, len(batch[self.first_stage.image_key]))
        small = {k: v[:n] for k, v in batch.items() if isinstance(v, torch.Tensor)}
        x = self.first_stage.get_input(small)
        rec, _, _ = self.first_stage(x)
        labels = small.get(self.class_key) if self.conditional else None
        gen = torch.Generator(device=self.device).manual_seed(0)
        samples = self.decode_codes(self.sample_codes(n, labels=labels, generator=gen))
        show = self.first_stage.display
        rec_rgb, smp_rgb = show(self.first_stage.to_unit(rec)), show(samples)
        if rec_rgb.dim() == 5:  # event frames: the maximum over time, and the samples as a GIF
            return image_panels({"_reconstruction": rec_rgb.amax(1), "samples": smp_rgb.amax(1)},
                                extra={"samples_gif": smp_rgb})
        return image_panels({"_reconstruction": rec_rgb, "samples": smp_rgb})


SnnTransformerPrior = SnnTransformerModel  # old name, kept so saved run configs load
