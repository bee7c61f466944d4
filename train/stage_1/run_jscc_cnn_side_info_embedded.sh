#!/usr/bin/env bash
# Stereo JSCC, CNN, right view as decoder side information, embedded stereo pairs (CPU). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_side_info_embedded base/jscc.yaml base/jscc_side_info.yaml base/jscc_small.yaml data/stereo_embedded.yaml profiles/cpu.yaml -- "$@"
