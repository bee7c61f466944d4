#!/usr/bin/env bash
# Stage 1 spikling Semi-UNet restorer on simulated spike pairs (build them first: see the YAML).
# Extra arguments are passed on, e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" spikecnn_pairs base/spikecnn.yaml data/spike_pairs.yaml profiles/gpu1.yaml -- lightning.callbacks.image_logger.params.batch_frequency=500 lightning.callbacks.image_logger.params.max_images=8 "$@"
