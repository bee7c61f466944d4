#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the vanilla (per-time-step) codebook on ndigits_image.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_ndigits_image_vanilla base/snn_vqvae.yaml base/snn_vqvae_images.yaml base/snn_vqvae_vanilla.yaml data/ndigits_image.yaml base/snn_vqvae_small.yaml profiles/one_device.yaml -- model.params.network.in_channels=1 model.params.network.out_channels=1 model.params.loss.params.disc_in_channels=1 model.params.loss.params.perceptual_weight=0.0 "$@"
