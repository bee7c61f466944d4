#!/usr/bin/env bash
# Stereo JSCC, CNN, single-view decoding, InStereo2K (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_single_instereo2k base/jscc.yaml data/instereo2k.yaml profiles/gpu4_ddp.yaml -- "$@"
