#!/usr/bin/env bash
# Stereo JSCC, SNN, single-view decoding, InStereo2K (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_snn_single_instereo2k base/jscc.yaml base/jscc_snn.yaml data/instereo2k.yaml profiles/gpu4_ddp.yaml -- "$@"
