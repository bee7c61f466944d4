#!/usr/bin/env bash
# SpikeCLIP stage 2: HQ/LQ prompt learning on ucaltech. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_prompt_ucaltech base/spikeclip_prompt.yaml data/ucaltech.yaml profiles/gpu1.yaml -- data.params.batch_size=32 data.params.test=null lightning.trainer.max_epochs=10 "$@"
