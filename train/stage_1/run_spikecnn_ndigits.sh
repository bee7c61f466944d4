#!/usr/bin/env bash
# Stage 1 spikling Semi-UNet restorer on the embedded N-Digits spike streams (CPU-sized).
# Extra arguments are passed on, e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_1/spikecnn_ndigits.yaml "$@"
