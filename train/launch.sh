#!/usr/bin/env bash
# The launcher behind the one-line run_*.sh scripts:
#   train/launch.sh RUN_NAME CONFIG [CONFIG ...] -- [main.py arguments ...]
# CONFIGs are relative to train/ and merged left to right (family base, variant, data, profile);
# everything after `--` (overrides, -n, -r, ...) is passed on to main.py. PYTHON picks the
# interpreter (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
shift
configs=()
while [[ $# -gt 0 && $1 != "--" ]]; do
  configs+=("train/$1")
  shift
done
[[ $# -gt 0 ]] && shift
exec "${PYTHON:-.venv/bin/python}" main.py --base "${configs[@]}" -n "$name" "$@"
