#!/usr/bin/env bash
# SpikeCLIP stage 2 of the CLIP-only variant on ndigits: HQ/LQ prompts on its stage-1 outputs (in
# logs/spikeclip_artifacts/ndigits_clip_only). Extra arguments are passed on to main.py.
exec "$(dirname "$0")/../launch.sh" spikeclip_prompt_clip_only_ndigits base/spikeclip_prompt.yaml base/spikeclip_clip_only.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.params.label_smoothing=0.0 lightning.trainer.max_epochs=8 "$@"
