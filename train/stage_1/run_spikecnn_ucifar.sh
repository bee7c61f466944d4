#!/usr/bin/env bash
# Stage 1 spikling Semi-UNet restorer on U-CIFAR (UHSR); pass dataset_root=/path/to/U-CIFAR.
# Extra arguments are passed on, e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" spikecnn_ucifar base/spikecnn.yaml data/ucifar.yaml base/spikecnn_uhsr.yaml profiles/gpu4_ddp.yaml -- "$@"
