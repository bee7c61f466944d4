"""Stage 1: the spiking VQ-VAE (VQ-GAN) as a LightningModule.

``x → input coding → SnnEncoder → 1×1 quant conv → quantizer (temporal or vanilla codebook)
→ 1×1 post-quant conv → SnnDecoder → output decoding``. Data live in [0, 1] in batches and in
[−1, 1] inside the model. Static images (``input_coding='direct'``, ``output='mean'``):
``[B, C, H, W]``; event frames (``input_coding='bins'``, ``output='frames'``): ``[B, T, 2, H, W]``
with counts clipped to ``input_clip`` and scaled to [0, 1]; their losses are taken per time step.
Training uses manual optimisation with two Adam optimizers (autoencoder, discriminator), so
Lightning's ``global_step`` counts two optimizer steps per batch (``max_steps`` too). The loss's
``disc_start`` sees both clocks: training batches (``batch``) and, for ``global_step`` units, the
reference's — ``2·b`` for the autoencoder, ``2·b + 1`` for the discriminator after the
autoencoder's step (see :mod:`spikevision.losses.vqperceptual`).

Codebook use is counted over a whole validation (and test) epoch and summed over ranks:
``val/codebook_usage`` (fraction of the ``n_embed`` codes used at least once),
``val/codebook_perplexity`` and, in TensorBoard, a histogram of the code indices (one bin per
code: dead codes are empty bins). ``dead_code_restart`` (off by default) re-initialises the codes
used fewer than ``threshold`` times in the last ``every_n_batches`` training batches (summed over
ranks) to encoder outputs drawn at random from the current batch (rank 0's, broadcast).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from spikevision.models.image_module import IMAGE_METRICS, image_metrics
from spikevision.models.vqvae.networks import SnnDecoder, SnnEncoder
from spikevision.models.vqvae.quantizer import code_counts, count_statistics, make_quantizer
from spikevision.registry import instantiate_from_config, renamed_arguments
from spikevision.snn import TimeDistributed, encode_input
from spikevision.transforms import center_crop
from spikevision.visualize import event_frames_rgb, image_panels, side_by_side, to_rgb

OUTPUTS = ("mean", "frames")
DEFAULT_LOSS = {"target": "spikevision.losses.vqperceptual.VQLPIPSWithDiscriminator", "params": {}}
OLD_NAMES = {"ddconfig": "network", "lossconfig": "loss"}  # saved run configs and checkpoints use them
DEAD_CODE_RESTART = {"enabled": False, "threshold": 1, "every_n_batches": 500}


def dead_code_settings(cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    """``dead_code_restart`` with its defaults filled in and checked."""
    cfg = dict(cfg or {})
    unknown = sorted(set(cfg) - set(DEAD_CODE_RESTART))
    if unknown:
        raise ValueError(f"model.params.dead_code_restart: unknown keys {unknown}; "
                         f"allowed: {sorted(DEAD_CODE_RESTART)}")
    out = {**DEAD_CODE_RESTART, **cfg}
    if out["threshold"] <= 0 or int(out["every_n_batches"]) < 1:
        raise ValueError("model.params.dead_code_restart: need threshold > 0 and every_n_batches ≥ 1, "
                         f"got {out['threshold']} and {out['every_n_batches']}")
    out["enabled"], out["every_n_batches"] = bool(out["enabled"]), int(out["every_n_batches"])
    return out


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
    the loss (default :class:`VQLPIPSWithDiscriminator`). ``dead_code_restart``:
    ``{enabled: false, threshold: 1, every_n_batches: 500}`` (module docstring). The old names
    ``ddconfig`` and ``lossconfig`` are still accepted.
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
        dead_code_restart: Mapping[str, Any] | None = None,
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
        self.dead_code_restart = dead_code_settings(dead_code_restart)
        # code histograms: per evaluated split over an epoch, and over the restart window (training).
        # Plain tensors, not buffers: DDP would broadcast rank 0's buffers over the other ranks' counts.
        self._code_counts: dict[str, torch.Tensor] = {}
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
    def batches_seen(self) -> int:
        """Training batches completed (``global_step`` counts both optimizers' steps)."""
        return self.global_step // 2

    # ---------------------------------------------------------------- training
    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        opt_ae, opt_d = self.optimizers()
        x = self.get_input(batch)
        xrec, qloss, info = self(x)
        epoch, batches = self.current_epoch, self.batches_seen
        # the reference's clocks: the autoencoder sees global_step = 2·batches, the discriminator
        # (after the autoencoder's optimizer step) 2·batches + 1
        loss, logs = self.loss.generator_loss(self._flat(x), self._flat(xrec), qloss, self.global_step, epoch,
                                              self.decoder.last_layer, batch=batches)
        opt_ae.zero_grad()
        self.manual_backward(loss)
        opt_ae.step()
        opt_d.zero_grad(set_to_none=True)
        if self.loss.disc_active(self.global_step, epoch, batches):
            d_loss, d_logs = self.loss.discriminator_loss(self._flat(x), self._flat(xrec), self.global_step,
                                                          epoch, batches)
            self.manual_backward(d_loss)
            logs.update(d_logs)
        elif getattr(self.trainer.precision_plugin, "scaler", None) is not None:
            self.loss.zero_discriminator_grads()  # 16-mixed: the GradScaler cannot step without gradients
        opt_d.step()  # no gradients before disc_start: a no-op that keeps global_step = 2 × batches
        bs = x.shape[0]
        self.log("train/loss", logs.pop("total"), prog_bar=True, batch_size=bs)
        self.log_dict({f"train/{k}": v for k, v in logs.items()}, batch_size=bs)
        self.log_dict({"train/perplexity": info["perplexity"], "train/code_usage": info["usage"]},
                      batch_size=bs)
        if self.dead_code_restart["enabled"]:
            self._restart_dead_codes(info, batches)

    def _reduce_sum(self, counts: torch.Tensor) -> torch.Tensor:
        """``counts`` summed over all ranks (itself without a trainer or with one process)."""
        trainer = self._trainer
        return counts if trainer is None else trainer.strategy.reduce(counts, reduce_op="sum")

    def _count(self, key: str, indices: torch.Tensor) -> None:
        counts = code_counts(indices, self.quantize.n_e)
        previous = self._code_counts.get(key)
        self._code_counts[key] = counts if previous is None else previous.to(counts.device) + counts

    def _restart_dead_codes(self, info: Mapping[str, torch.Tensor], batches: int) -> None:
        """Count this batch's codes; at the end of each ``every_n_batches`` window restart the
        codes used fewer than ``threshold`` times in it (counts summed over ranks)."""
        self._count("restart", info["indices"])
        if (batches + 1) % self.dead_code_restart["every_n_batches"]:
            return
        counts = self._reduce_sum(self._code_counts.pop("restart"))
        codes = self.quantize.restart_codes(counts < self.dead_code_restart["threshold"], info["latents"])
        trainer = self._trainer
        if codes.numel() and trainer is not None and trainer.world_size > 1:  # every rank takes rank 0's
            weight = self.quantize.embedding.weight.data
            weight[codes] = trainer.strategy.broadcast(weight[codes].clone(), src=0).to(weight.device)
        self.log("train/restarted_codes", float(codes.numel()), batch_size=info["indices"].shape[-3])

    def _evaluate(self, batch: Mapping[str, Any], split: str) -> None:
        x = self.get_input(batch)
        xrec, qloss, info = self(x)
        self._count(split, info["indices"])
        _, logs = self.loss.generator_loss(self._flat(x), self._flat(xrec), qloss, self.global_step,
                                           self.current_epoch, batch=self.batches_seen)
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

    def on_validation_epoch_start(self) -> None:
        self._code_counts.pop("val", None)

    def on_test_epoch_start(self) -> None:
        self._code_counts.pop("test", None)

    def on_validation_epoch_end(self) -> None:
        self._log_codebook("val")

    def on_test_epoch_end(self) -> None:
        self._log_codebook("test")

    def codebook_counts(self, split: str) -> torch.Tensor | None:
        """The ``[n_e]`` code histogram of the current ``split`` epoch so far (this rank's)."""
        return self._code_counts.get(split)

    def _log_codebook(self, split: str) -> None:
        """Log the epoch's code usage and perplexity (summed over ranks) and its index histogram."""
        counts = self._code_counts.pop(split, None)
        if counts is None:
            return
        counts = self._reduce_sum(counts)
        stats = count_statistics(counts)
        self.log(f"{split}/codebook_usage", stats["usage"])  # already the same on every rank
        self.log(f"{split}/codebook_perplexity", stats["perplexity"])
        trainer = self._trainer
        if trainer is None or trainer.sanity_checking or not trainer.is_global_zero:
            return
        from lightning.pytorch.loggers import TensorBoardLogger

        c = counts.cpu().double()
        used = c.nonzero().flatten()
        if not used.numel():
            return
        idx = torch.arange(c.numel(), dtype=torch.float64)
        for lg in self.loggers:
            if isinstance(lg, TensorBoardLogger):  # one bin per code: bin i holds code i's count
                lg.experiment.add_histogram_raw(
                    f"{split}/code_indices", min=int(used[0]), max=int(used[-1]), num=int(c.sum()),
                    sum=float((idx * c).sum()), sum_squares=float((idx * idx * c).sum()),
                    bucket_limits=(idx + 0.5).tolist(), bucket_counts=c.tolist(), global_step=self.global_step)

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
