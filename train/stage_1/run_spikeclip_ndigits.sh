#!/usr/bin/env bash
# SpikeCLIP stage 1 (supervised variant: InfoNCE + pixel loss to the source digit) on ndigits; class_weight
# 0.1, as at 1 the InfoNCE term stops the pixel loss from falling (docs/spikeclip_results.md). Extra arguments go to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_ndigits base/snn_recon.yaml base/snn_recon_small.yaml base/spikeclip.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.params.clip.model_name=spikevision-digits 'model.params.clip.pretrained=${artifacts}/stage0_clip.pt' model.params.monitor=val/psnr model.params.class_weight=0.1 lightning.trainer.max_epochs=8 "$@"
