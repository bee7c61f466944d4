#!/usr/bin/env bash
# Stage 1 spiking reconstruction on the embedded N-Digits data. Extra arguments are passed on,
# e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_1/snn_recon_ndigits.yaml "$@"
