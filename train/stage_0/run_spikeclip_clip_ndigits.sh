#!/usr/bin/env bash
# SpikeCLIP stage 0: train the small N-Digits CLIP (offline default). Extra arguments are passed
# on, e.g. `lightning.trainer.max_epochs=4` or `artifacts=/tmp/spikeclip`.
exec "$(dirname "$0")/../launch.sh" spikeclip_clip_ndigits base/spikeclip_clip.yaml data/ndigits_image.yaml profiles/one_device.yaml -- "$@"
