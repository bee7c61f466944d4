#!/usr/bin/env bash
# Stereo JSCC, SNN, single-view decoding, Cityscapes stereo (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_snn_single_cityscapes base/jscc.yaml base/jscc_snn.yaml data/cityscapes_stereo.yaml profiles/gpu4_ddp.yaml -- "$@"
