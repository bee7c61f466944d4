#!/usr/bin/env bash
# Stereo JSCC, CNN, joint decoding of both views, KITTI Stereo 2015 (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_joint_kitti base/jscc.yaml base/jscc_joint.yaml data/kitti_stereo.yaml profiles/gpu4_ddp.yaml -- "$@"
