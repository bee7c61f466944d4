#!/usr/bin/env bash
# Stereo JSCC, CNN, joint decoding of both views, InStereo2K (4-GPU DDP). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_joint_instereo2k base/jscc.yaml base/jscc_joint.yaml data/instereo2k.yaml profiles/gpu4_ddp.yaml -- "$@"
