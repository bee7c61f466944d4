#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the temporal codebook on dvscifar10.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_dvscifar10 base/snn_vqvae.yaml data/dvscifar10.yaml profiles/gpu4_ddp.yaml -- model.params.lossconfig.params.disc_start=50 lightning.trainer.max_epochs=200 "$@"
