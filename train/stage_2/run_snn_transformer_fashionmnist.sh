#!/usr/bin/env bash
# Stage 2 of generation: spiking GPT prior over the temporal-codebook stage-1 codes on fashionmnist.
# Extra arguments are passed on, e.g. `model.params.first_stage.run=logs/<run>` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_transformer_fashionmnist base/snn_transformer.yaml data/fashionmnist.yaml profiles/gpu4_ddp.yaml -- 'model.params.first_stage.run=logs/*_snn_vqvae_fashionmnist' "$@"
