#!/usr/bin/env bash
# Stereo JSCC, SNN, single-view decoding, KITTI Stereo 2015 (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_snn_single_kitti base/jscc.yaml base/jscc_snn.yaml data/kitti_stereo.yaml profiles/gpu4_ddp.yaml -- "$@"
