#!/usr/bin/env bash
# SpikeCLIP stage 1: CLIP-guided spiking reconstruction on ucaltech. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_ucaltech base/snn_recon.yaml base/spikeclip.yaml data/ucaltech.yaml profiles/gpu4_ddp.yaml -- "$@"
