#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the vanilla (per-time-step) codebook on nmnist.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_nmnist_vanilla base/snn_vqvae.yaml base/snn_vqvae_vanilla.yaml data/nmnist.yaml profiles/gpu4_ddp.yaml -- "$@"
