#!/usr/bin/env bash
# Sample static data from a trained stage-2 prior. Extra arguments override sample/sample_static.yaml,
# e.g. `sample.run=logs/<run> sample.num_samples=16 sample.top_k=100`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" -m spikevision.cli.sample --base sample/sample_static.yaml "$@"
