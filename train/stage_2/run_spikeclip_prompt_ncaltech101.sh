#!/usr/bin/env bash
# SpikeCLIP stage 2: HQ/LQ prompt learning on ncaltech101. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_prompt_ncaltech101 base/spikeclip_prompt.yaml data/ncaltech101.yaml profiles/gpu1.yaml -- data.params.batch_size=32 "$@"
