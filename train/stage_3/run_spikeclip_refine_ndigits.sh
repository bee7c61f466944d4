#!/usr/bin/env bash
# SpikeCLIP stage 3: quality-guided U-Net refiner on ndigits. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_refine_ndigits base/spikeclip_stage3.yaml base/spikeclip_refine.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.base_learning_rate=0.0001 model.params.network.ch=16 'model.params.network.ch_mult=[1, 2]' model.scale_lr=false lightning.callbacks.image_logger.params.batch_frequency=100 lightning.trainer.max_epochs=2 "$@"
