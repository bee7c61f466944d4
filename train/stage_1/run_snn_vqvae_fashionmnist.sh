#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the temporal codebook on fashionmnist (seed 002's table: disc_start 10 epochs).
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_fashionmnist base/snn_vqvae.yaml base/snn_vqvae_images.yaml data/fashionmnist.yaml profiles/gpu4_ddp.yaml -- model.params.loss.params.disc_start=10 "$@"
