#!/usr/bin/env bash
# SpikeCLIP stage 3: quality-guided SNN fine-tuning on ndigits. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots). The supervised
# variant keeps its pixel loss to the source digit (weight 10) and λ = 1: at λ = 100 the prompts,
# which tell these outputs from real digits (HQ/LQ 0.74), pull PSNR from 26.7 to 17.8 dB
# (docs/spikeclip_results.md).
exec "$(dirname "$0")/../launch.sh" spikeclip_ndigits base/spikeclip_stage3.yaml base/spikeclip_finetune.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.base_learning_rate=2.0e-06 model.params.identity_weight=1.0 model.params.prompt_weight=1 model.params.pixel_weight=10 lightning.callbacks.image_logger.params.batch_frequency=100 lightning.trainer.max_epochs=1 "$@"
