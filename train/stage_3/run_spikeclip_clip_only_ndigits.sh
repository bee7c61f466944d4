#!/usr/bin/env bash
# SpikeCLIP stage 3 of the CLIP-only variant on ndigits: quality-guided fine-tuning of its stage-1 SNN
# with its stage-2 prompts (logs/spikeclip_artifacts/ndigits_clip_only). Extra arguments are passed
# on to main.py. λ = 10 without the identity term measured best here (docs/spikeclip_results.md;
# λ = 100 lost the class content).
exec "$(dirname "$0")/../launch.sh" spikeclip_clip_only_ndigits base/spikeclip_stage3.yaml base/spikeclip_finetune.yaml base/spikeclip_clip_only.yaml data/ndigits_events.yaml profiles/one_device.yaml -- model.base_learning_rate=2.0e-06 model.params.prompt_weight=10 lightning.callbacks.image_logger.params.batch_frequency=100 lightning.trainer.max_epochs=2 "$@"
