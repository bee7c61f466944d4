#!/usr/bin/env bash
# Stage 1 spiking reconstruction on ucifar (see the YAML for data roots). Extra arguments are
# passed on to main.py, e.g. dataset paths as dotted overrides or `lightning.trainer.devices=2`.
exec "$(dirname "$0")/../launch.sh" snn_recon_ucifar base/snn_recon.yaml data/ucifar.yaml profiles/gpu4_ddp.yaml -- "$@"
