#!/usr/bin/env bash
# SpikeCLIP stage 2: HQ/LQ prompt learning on ndigits. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_prompt_ndigits base/spikeclip_prompt.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.params.label_smoothing=0.0 lightning.trainer.max_epochs=2 "$@"
