#!/usr/bin/env bash
# Stage 1 spiking reconstruction on ucaltech (see the YAML for data roots). Extra arguments are
# passed on to main.py, e.g. dataset paths as dotted overrides or `lightning.trainer.devices=2`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_1/snn_recon_ucaltech.yaml "$@"
