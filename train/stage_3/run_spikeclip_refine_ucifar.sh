#!/usr/bin/env bash
# SpikeCLIP stage 3: quality-guided U-Net refiner on ucifar. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_refine_ucifar base/spikeclip_stage3.yaml base/spikeclip_refine.yaml data/ucifar.yaml profiles/gpu4_ddp.yaml -- "$@"
