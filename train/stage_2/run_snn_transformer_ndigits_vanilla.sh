#!/usr/bin/env bash
# Stage 2 of generation: spiking GPT prior over the vanilla-codebook stage-1 codes on ndigits.
# Extra arguments are passed on, e.g. `model.params.first_stage.run=logs/<run>` or `-n myrun`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_2/snn_transformer_ndigits.yaml -n snn_transformer_ndigits_vanilla model.params.first_stage.run='logs/*_snn_vqvae_ndigits_vanilla' "$@"
