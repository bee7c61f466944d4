#!/usr/bin/env bash
# Stage 2 of generation: spiking GPT prior over the temporal-codebook stage-1 codes on LSUN Bedroom (256 tokens;
# base_lr 2.5e-6 as the reference's bedroom stage 2).
# Extra arguments are passed on, e.g. `model.params.first_stage.run=logs/<run>` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_transformer_lsun_bedroom base/snn_transformer.yaml data/lsun_bedroom.yaml profiles/gpu4_ddp.yaml -- 'model.params.first_stage.run=logs/*_snn_vqvae_lsun_bedroom' model.params.n_classes=1 model.base_learning_rate=2.5e-6 "$@"
