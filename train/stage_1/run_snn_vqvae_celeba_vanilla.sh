#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the vanilla (per-time-step) codebook on celeba.
# disc_start: the table's 30001 steps count the reference's global_step (2 per batch) = batch 15,000.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_celeba_vanilla base/snn_vqvae.yaml base/snn_vqvae_images.yaml base/snn_vqvae_vanilla.yaml data/celeba.yaml profiles/gpu4_ddp.yaml -- model.params.loss.params.disc_start=15000 model.params.loss.params.disc_start_unit=batch "$@"
