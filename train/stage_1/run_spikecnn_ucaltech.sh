#!/usr/bin/env bash
# Stage 1 spikling Semi-UNet restorer on U-Caltech (UHSR); pass dataset_root=/path/to/U-CALTECH.
# Extra arguments are passed on, e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" spikecnn_ucaltech base/spikecnn.yaml data/ucaltech.yaml base/spikecnn_uhsr.yaml profiles/gpu4_ddp.yaml -- "$@"
