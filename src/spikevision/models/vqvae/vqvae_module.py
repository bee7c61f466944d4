"""Stage 1: the spiking VQ-VAE (VQ-GAN) as a LightningModule.

``x → input coding → SnnEncoder → 1×1 quant conv → quantizer (temporal or vanilla codebook)
→ 1×1 post-quant conv → SnnDecoder → output decoding``. Data live in [0, 1] in batches and in
[−1, 1] inside the model. Static images (``input_coding='direct'``, ``output='mean'``):
``[B, C, H, W]``; event frames (``input_coding='bins'``, ``output='frames'``): ``[B, T, 2, H, W]``
with counts clipped to ``input_clip`` and scaled to [0, 1]; their losses are taken per time step.
Training uses manual optimisation with two Adam optimizers (autoencoder, discriminator).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from spikevision.models.image_module import IMAGE_METRICS, image_metrics
from spikevision.models.vqvae.networks import SnnDecoder, SnnEncoder
from spikevision.models.vqvae.quantizer import make_quantizer
from spikevision.registry import instantiate_from_config, renamed_arguments
from spikevision.snn import TimeDistributed, encode_input
from spikevision.transforms import center_crop
from spikevision.visualize import event_frames_rgb, image_panels, side_by_side, to_rgb

OUTPUTS = ("mean", "frames")
DEFAULT_LOSS = {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator", "params": {}}
OLD_NAMES = {"ddconfig": "network", "lossconfig": "loss"}  # saved run configs and checkpoints use them


def event_rgb(frames01: torch.Tensor) -> torch.Tensor:
    """Event frames in [0, 1] ``[..., 2, H, W]`` → RGB (ON red, OFF blue), fixed gain 1."""
    return event_frames_rgb(frames01.clamp(0, 1), gain=1.0)


class SnnVQModel(pl.LightningModule):
    """Spiking VQ-VAE. ``network``: SnnEncoder/SnnDecoder keyword arguments (``ch``, ``ch_mult``,
    ``num_res_blocks``, ``attn_resolutions``, ``resolution``, ``z_channels``, ``in_channels``,
    ``out_channels``, ``dropout``, ``lif``); ``codebook``: ``temporal`` | ``vanilla``;
    ``beta`` weights the commitment term (``legacy_beta=True``: the reference's placement).
    ``image_key``: batch entry with the data; ``crop``: center crop (e.g. 34 → 32);
    ``compile``: ``torch.compile`` the encoder/decoder step functions. ``loss``: target/params of
    the loss (default :class:`VQLPIPSWithDiscriminator`). The old names ``ddconfig`` and
    ``lossconfig`` are still accepted.
    """

    def __init__(
        self,
        network: Mapping[str, Any] | None = None,
        n_embed: int = 1024,
        embed_dim: int = 256,
        time_steps: int = 4,
        codebook: str = "temporal",
        beta: float = 0.25,
        legacy_beta: bool = False,
        input_coding: str = "direct",
        output: str = "mean",
        image_key: str = "image",
        input_clip: float | None = None,
        crop: int | None = None,
        loss: Mapping[str, Any] | None = None,
        learning_rate: float = 4.5e-6,
        ckpt_path: str | None = None,
        compile: bool = False,
        monitor: str = "val/rec_loss",
        monitor_mode: str = "min",
        **old_names: Any,
    ) -> None:
        super().__init__()
        args = renamed_arguments(old_names, OLD_NAMES, "SnnVQModel", {"network": network, "loss": loss},
                                 required=("network",))
        network, loss = args["network"], args["loss"]
        self.save_hyperparameters()
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got '{output}'")
        if input_coding == "bins" and output != "frames" and image_key == "input":
            raise ValueError("event inputs (bins) are reconstructed per time step: use output='frames'")
        dd = dict(network)
        in_ch, out_ch = dd.pop("in_channels", 3), dd.pop("out_channels", 3)
        self.encoder = SnnEncoder(in_channels=in_ch, **dd)
        self.decoder = SnnDecoder(out_channels=out_ch, **dd)
        z_ch = dd.get("z_channels", 256)
        self.quant_conv = TimeDistributed(nn.Conv2d(z_ch, embed_dim, 1))
        self.post_quant_conv = TimeDistributed(nn.Conv2d(embed_dim, z_ch, 1))
        self.quantize = make_quantizer(codebook, n_embed, embed_dim, time_steps, beta, legacy_beta)
        self.loss = instantiate_from_config(loss or DEFAULT_LOSS, key_path="model.params.loss")
        self.time_steps, self.input_coding, self.output = time_steps, input_coding, output
        self.image_key, self.input_clip, self.crop = image_key, input_clip, crop
        self.downsample = 2 ** (len(dd.get("ch_mult", (1, 1, 2, 2, 4))) - 1)
        self.learning_rate = learning_rate
        self.monitor, self.monitor_mode = monitor, monitor_mode
        self.automatic_optimization = False
        self.metrics = image_metrics()
        if compile:
            self.encoder._forward = torch.compile(self.encoder._forward)
            self.decoder._forward = torch.compile(self.decoder._forward)
        if ckpt_path:
            self.load_weights(ckpt_path)

    # ---------------------------------------------------------------- model
    def load_weights(self, path: str) -> None:
        """Load a stage-1 checkpoint's weights (the discriminator/LPIPS ``loss.*`` keys are optional)."""
        from spikevision.stages import load_matching_state

        load_matching_state(self, path, "model.params.ckpt_path")

    @property
    def event_data(self) -> bool:
        return self.output == "frames"

    def get_input(self, batch: Mapping[str, Any]) -> torch.Tensor:
        """Batch → model input in [−1, 1]: ``[B, C, H, W]`` or ``[B, T, C, H, W]``."""
        if self.image_key not in batch:
            raise KeyError(f"batch has no '{self.image_key}' entry (keys: {sorted(batch)}); set image_key")
        x = center_crop(batch[self.image_key].float(), self.crop)
        if self.input_clip:
            x = x.clamp(0, self.input_clip) / self.input_clip
        return x * 2.0 - 1.0

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Model-space input → (``z_q`` ``[T, B, e, h, w]``, VQ loss, info with ``indices``)."""
        h = self.quant_conv(self.encoder(encode_input(x, self.input_coding, self.time_steps)))
        return self.quantize(h)

    def decode(self, z_q: torch.Tensor) -> torch.Tensor:
        """``[T, B, e, h, w]`` → ``[B, C, H, W]`` (mean over T) or ``[B, T, C, H, W]`` frames."""
        y = self.decoder(self.post_quant_conv(z_q))
        return y.mean(0) if self.output == "mean" else y.transpose(0, 1)

    def decode_code(self, indices: torch.Tensor) -> torch.Tensor:
        """Code indices (temporal ``[B, h, w]``; vanilla ``[T, B, h, w]``) → model-space output."""
        return self.decode(self.quantize.embed(indices))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        z_q, qloss, info = self.encode(x)
        return self.decode(z_q), qloss, info

    @staticmethod
    def to_unit(y: torch.Tensor) -> torch.Tensor:
        """Model space [−1, 1] → [0, 1] (clamped)."""
        return ((y + 1.0) / 2.0).clamp(0, 1)

    def _flat(self, y: torch.Tensor) -> torch.Tensor:
        return y.flatten(0, 1) if y.dim() == 5 else y  # event frames: one loss entry per time step

    @property
    def batch_step(self) -> int:
        """Training batches seen (``global_step`` counts both optimizers' steps)."""
        return self.global_step // 2

    # ---------------------------------------------------------------- training
    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        opt_ae, opt_d = self.optimizers()
        x = self.get_input(batch)
        xrec, qloss, info = self(x)
        step, epoch = self.batch_step, self.current_epoch
        loss, logs = self.loss.generator_loss(self._flat(x), self._flat(xrec), qloss, step, epoch,
                                              self.decoder.last_layer)
        opt_ae.zero_grad()
        self.manual_backward(loss)
        opt_ae.step()
        opt_d.zero_grad(set_to_none=True)
        if self.loss.disc_active(step, epoch):
            d_loss, d_logs = self.loss.discriminator_loss(self._flat(x), self._flat(xrec), step, epoch)
            self.manual_backward(d_loss)
            logs.update(d_logs)
        opt_d.step()  # no gradients before disc_start: a no-op that keeps global_step = 2 × batches
        bs = x.shape[0]
        self.log("train/loss", logs.pop("total"), prog_bar=True, batch_size=bs)
        self.log_dict({f"train/{k}": v for k, v in logs.items()}, batch_size=bs)
        self.log_dict({"train/perplexity": info["perplexity"], "train/code_usage": info["usage"]},
                      batch_size=bs)

    def _evaluate(self, batch: Mapping[str, Any], split: str) -> None:
        x = self.get_input(batch)
        xrec, qloss, info = self(x)
        _, logs = self.loss.generator_loss(self._flat(x), self._flat(xrec), qloss, self.batch_step,
                                           self.current_epoch)
        bs = x.shape[0]
        self.log(f"{split}/rec_loss", logs["nll"], batch_size=bs, sync_dist=True)
        self.log(f"{split}/l1", logs["l1"], batch_size=bs, sync_dist=True)
        self.log(f"{split}/vq", logs["vq"], batch_size=bs, sync_dist=True)
        self.log(f"{split}/perplexity", info["perplexity"], batch_size=bs, sync_dist=True)
        pred, target = self._flat(self.to_unit(xrec)), self._flat(self.to_unit(x))
        for name in IMAGE_METRICS:
            metric = self.metrics[f"{split}_{name}"]
            metric.update(pred, target)
            self.log(f"{split}/{name}", metric, prog_bar=name == "psnr", batch_size=bs)

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        ae_params = [p for m in (self.encoder, self.decoder, self.quantize, self.quant_conv,
                                 self.post_quant_conv) for p in m.parameters()]
        opt_ae = torch.optim.Adam(ae_params, lr=self.learning_rate, betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(self.loss.discriminator.parameters(), lr=self.learning_rate, betas=(0.5, 0.9))
        return [opt_ae, opt_d]

    # ---------------------------------------------------------------- images
    def display(self, y01: torch.Tensor) -> torch.Tensor:
        """Data in [0, 1] → RGB panels: images ``[N, 3, H, W]``; events ``[N, T, 3, H, W]``."""
        return event_rgb(y01) if self.event_data else to_rgb(y01)

    @torch.no_grad()
    def log_images(self, batch: Mapping[str, Any], max_images: int = 8) -> dict[str, torch.Tensor]:
        """Inputs, reconstructions and a side-by-side comparison (GIFs for event frames)."""
        small = {self.image_key: batch[self.image_key][:max_images]}
        x = self.get_input(small)
        xrec, _, _ = self(x)
        inp, rec = self.display(self.to_unit(x)), self.display(self.to_unit(xrec))
        if not self.event_data:
            return image_panels({"inputs": inp, "reconstruction": rec})
        return image_panels({"inputs": inp.amax(1), "reconstruction": rec.amax(1)},  # maximum over time
                            extra={"comparison_gif": side_by_side([inp, rec])})
