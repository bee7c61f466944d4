#!/usr/bin/env bash
# SpikeCLIP stage 3: quality-guided SNN fine-tuning on ndigits. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_ndigits base/spikeclip_stage3.yaml base/spikeclip_finetune.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.base_learning_rate=2.0e-06 model.params.identity_weight=1.0 lightning.callbacks.image_logger.params.batch_frequency=100 lightning.trainer.max_epochs=1 "$@"
