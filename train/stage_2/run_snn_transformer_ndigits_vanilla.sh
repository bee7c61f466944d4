#!/usr/bin/env bash
# Stage 2 of generation: spiking GPT prior over the vanilla-codebook stage-1 codes on ndigits.
# Extra arguments are passed on, e.g. `model.params.first_stage.run=logs/<run>` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_transformer_ndigits_vanilla base/snn_transformer.yaml data/ndigits_events.yaml base/snn_transformer_small.yaml profiles/one_device.yaml -- 'model.params.first_stage.run=logs/*_snn_vqvae_ndigits_vanilla' "$@"
