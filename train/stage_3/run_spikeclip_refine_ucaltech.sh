#!/usr/bin/env bash
# SpikeCLIP stage 3: quality-guided U-Net refiner on ucaltech. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_refine_ucaltech base/spikeclip_stage3.yaml base/spikeclip_refine.yaml data/ucaltech.yaml profiles/gpu4_ddp.yaml -- "$@"
