#!/usr/bin/env bash
# Stereo JSCC, SNN, right view as decoder side information, InStereo2K (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_snn_side_info_instereo2k base/jscc.yaml base/jscc_snn.yaml base/jscc_side_info.yaml data/instereo2k.yaml profiles/gpu4_ddp.yaml -- "$@"
