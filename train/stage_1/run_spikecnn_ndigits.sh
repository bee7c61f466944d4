#!/usr/bin/env bash
# Stage 1 spikling Semi-UNet restorer on the embedded N-Digits spike streams (CPU-sized).
# vgg=off: this CPU run trains on spikling's L2 term alone, on purpose — the ImageNet VGG19 is not
# downloadable offline and a missing file would otherwise stop the run (put vgg19-dcbb9e9d.pth in
# the torch hub cache and drop `model.params.vgg=off` for the full 100·L2 + 1·VGG loss).
# Extra arguments are passed on, e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" spikecnn_ndigits base/spikecnn.yaml data/ndigits_spikes.yaml profiles/one_device.yaml -- model.params.network.params.ch=16 model.params.vgg=off lightning.callbacks.image_logger.params.batch_frequency=100 lightning.callbacks.image_logger.params.max_images=8 lightning.trainer.max_epochs=8 lightning.trainer.precision=32-true "$@"
