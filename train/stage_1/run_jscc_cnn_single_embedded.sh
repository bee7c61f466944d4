#!/usr/bin/env bash
# Stereo JSCC, CNN, single-view decoding, embedded stereo pairs (CPU). Extra arguments go to main.py.
exec "$(dirname "$0")/../launch.sh" jscc_cnn_single_embedded base/jscc.yaml base/jscc_small.yaml data/stereo_embedded.yaml profiles/cpu.yaml -- "$@"
