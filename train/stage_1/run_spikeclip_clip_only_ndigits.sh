#!/usr/bin/env bash
# SpikeCLIP stage 1, the events seed's CLIP-only variant on ndigits: class InfoNCE alone, no pixel
# target (docs/spikeclip_results.md); exports to logs/spikeclip_artifacts/ndigits_clip_only, the small
# CLIP of stage 0 is read from logs/spikeclip_artifacts/ndigits. Extra arguments go to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip/clip_only clip_artifacts=/tmp/spikeclip`).
exec "$(dirname "$0")/../launch.sh" spikeclip_clip_only_ndigits base/snn_recon.yaml base/snn_recon_small.yaml base/spikeclip.yaml base/spikeclip_clip_only.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.params.clip.model_name=spikevision-digits 'model.params.clip.pretrained=${clip_artifacts}/stage0_clip.pt' model.params.pixel_weight=0 lightning.trainer.max_epochs=3 "$@"
