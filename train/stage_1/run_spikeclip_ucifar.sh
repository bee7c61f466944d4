#!/usr/bin/env bash
# SpikeCLIP stage 1: CLIP-guided spiking reconstruction on ucifar. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_ucifar base/snn_recon.yaml base/spikeclip.yaml data/ucifar.yaml profiles/gpu4_ddp.yaml -- "$@"
