#!/usr/bin/env bash
# Stage 1 of generation: spiking VQ-VAE with the temporal codebook on nmnist.
# Extra arguments are passed on, e.g. `lightning.trainer.devices=1` or `-n myrun`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" main.py --base train/stage_1/snn_vqvae_nmnist.yaml -n snn_vqvae_nmnist "$@"
