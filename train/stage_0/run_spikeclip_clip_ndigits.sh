#!/usr/bin/env bash
# SpikeCLIP stage 0: train the small N-Digits CLIP (offline default). Extra arguments are passed
# on, e.g. `lightning.trainer.max_epochs=4` or `artifacts=/tmp/spikeclip`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_0/spikeclip_clip_ndigits.yaml "$@"
