#!/usr/bin/env bash
# Stage 1 spiking reconstruction on the embedded N-Digits data. Extra arguments are passed on,
# e.g. `lightning.trainer.max_epochs=2` or `-n myrun`.
exec "$(dirname "$0")/../launch.sh" snn_recon_ndigits base/snn_recon.yaml base/snn_recon_small.yaml data/ndigits_events.yaml profiles/one_device.yaml -- lightning.trainer.precision=32-true 'model.params.network.params.lif={detach_reset: true, surrogate: PiecewiseQuadratic, surrogate_alpha: 2.0, tau: 2.0, v_reset: 0.0, v_threshold: 0.5}' "$@"
