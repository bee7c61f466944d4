#!/usr/bin/env bash
# SpikeCLIP stage 1: CLIP-guided spiking reconstruction on ncaltech101. Extra arguments are passed on to main.py
# (e.g. `lightning.trainer.max_epochs=2`, `artifacts=/tmp/spikeclip`, dataset roots).
exec "$(dirname "$0")/../launch.sh" spikeclip_ncaltech101 base/snn_recon.yaml base/snn_recon_large.yaml base/spikeclip.yaml data/ncaltech101.yaml profiles/gpu4_ddp.yaml -- model.base_learning_rate=4.7e-06 model.params.pixel_weight=0.0 lightning.trainer.gradient_clip_val=1.0 lightning.trainer.max_epochs=50 "$@"
