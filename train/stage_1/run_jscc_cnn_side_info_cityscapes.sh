#!/usr/bin/env bash
# Stereo JSCC, CNN, right view as decoder side information, Cityscapes stereo (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_side_info_cityscapes base/jscc.yaml base/jscc_side_info.yaml data/cityscapes_stereo.yaml profiles/gpu4_ddp.yaml -- "$@"
