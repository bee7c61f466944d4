#!/usr/bin/env bash
# Stage 1 spikling Semi-UNet restorer on the embedded N-Digits spike streams (CPU-sized).
# Extra arguments are passed on, e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" spikecnn_ndigits base/spikecnn.yaml data/ndigits_spikes.yaml profiles/one_device.yaml -- model.params.network.params.ch=16 lightning.callbacks.image_logger.params.batch_frequency=100 lightning.callbacks.image_logger.params.max_images=8 lightning.trainer.max_epochs=8 lightning.trainer.precision=32-true "$@"
