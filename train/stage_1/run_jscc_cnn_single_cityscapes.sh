#!/usr/bin/env bash
# Stereo JSCC, CNN, single-view decoding, Cityscapes stereo (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_single_cityscapes base/jscc.yaml data/cityscapes_stereo.yaml profiles/gpu4_ddp.yaml -- "$@"
