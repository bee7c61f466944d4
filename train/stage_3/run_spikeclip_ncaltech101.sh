#!/usr/bin/env bash
# SpikeCLIP stage 3: quality-guided SNN fine-tuning on ncaltech101. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_ncaltech101 base/spikeclip_stage3.yaml base/spikeclip_finetune.yaml data/ncaltech101.yaml profiles/gpu4_ddp.yaml -- lightning.trainer.max_epochs=30 "$@"
