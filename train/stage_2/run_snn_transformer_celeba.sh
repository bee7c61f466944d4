#!/usr/bin/env bash
# Stage 2 of generation: spiking GPT prior over the temporal-codebook stage-1 codes on celeba.
# Extra arguments are passed on, e.g. `model.params.first_stage.run=logs/<run>` or `-n myrun`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_2/snn_transformer_celeba.yaml -n snn_transformer_celeba "$@"
