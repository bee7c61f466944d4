#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the temporal codebook on LSUN Bedroom 256×256 (seed 002's table:
# T = 6, a 16×16 code grid, attention at 16×16; disc_start 30001 steps of the reference's global_step = batch 15,000).
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_lsun_bedroom base/snn_vqvae.yaml base/snn_vqvae_images.yaml data/lsun_bedroom.yaml profiles/gpu4_ddp.yaml -- model.params.time_steps=6 model.params.network.resolution=256 'model.params.network.attn_resolutions=[16]' model.params.loss.params.disc_start=15000 model.params.loss.params.disc_start_unit=batch "$@"
