#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the vanilla (per-time-step) codebook on cifar10dvs.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_cifar10dvs_vanilla base/snn_vqvae.yaml base/snn_vqvae_vanilla.yaml data/cifar10dvs.yaml profiles/gpu4_ddp.yaml -- model.params.loss.params.disc_start=50 lightning.trainer.max_epochs=200 "$@"
