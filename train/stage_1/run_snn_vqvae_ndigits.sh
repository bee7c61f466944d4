#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the temporal codebook on ndigits.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_vqvae_ndigits base/snn_vqvae.yaml data/ndigits_events.yaml base/snn_vqvae_small.yaml profiles/one_device.yaml -- model.params.network.lif.detach_reset=true model.params.network.lif.surrogate=PiecewiseQuadratic model.params.network.lif.surrogate_alpha=2.0 model.params.network.lif.tau=2.0 model.params.network.lif.v_reset=0.0 model.params.network.lif.v_threshold=0.5 model.params.loss.params.pixel_loss=l2 "$@"
