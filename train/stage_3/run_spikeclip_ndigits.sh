#!/usr/bin/env bash
# SpikeCLIP stage 3: quality-guided SNN fine-tuning on ndigits. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_3/spikeclip_ndigits.yaml "$@"
