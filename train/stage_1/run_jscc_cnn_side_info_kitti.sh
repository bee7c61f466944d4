#!/usr/bin/env bash
# Stereo JSCC, CNN, right view as decoder side information, KITTI Stereo 2015 (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_side_info_kitti base/jscc.yaml base/jscc_side_info.yaml data/kitti_stereo.yaml profiles/gpu4_ddp.yaml -- "$@"
