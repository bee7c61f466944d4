#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the temporal codebook on nmnist.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_nmnist base/snn_vqvae.yaml data/nmnist.yaml profiles/gpu4_ddp.yaml -- "$@"
