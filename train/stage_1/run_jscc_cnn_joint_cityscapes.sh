#!/usr/bin/env bash
# Stereo JSCC, CNN, joint decoding of both views, Cityscapes stereo (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_joint_cityscapes base/jscc.yaml base/jscc_joint.yaml data/cityscapes_stereo.yaml profiles/gpu4_ddp.yaml -- "$@"
