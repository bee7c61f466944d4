"""SpikeCLIP: CLIP-guided spiking reconstruction in stages.

0. :class:`ClipPretrainModel` — a small open_clip model trained on dataset images (offline default);
1. :class:`SpikeClipReconModel` — the spiking reconstruction net with class InfoNCE;
2. :class:`PromptLearnerModel` — CoOp HQ/LQ prompts;
3. :class:`SpikeClipQualityModel` (fine-tune the SNN) or :class:`RefinerModel` (U-Net refiner);
then :class:`SpikeClipPipeline` runs a combined checkpoint.
"""

from spikevision.models.spikeclip.clip_pretrain import ClipPretrainModel
from spikevision.models.spikeclip.clip_recon import SpikeClipReconModel
from spikevision.models.spikeclip.prompt_learner import PromptLearner
from spikevision.models.spikeclip.prompt_module import PromptLearnerModel
from spikevision.models.spikeclip.quality_finetune import SpikeClipQualityModel
from spikevision.models.spikeclip.refiner import RefinerUNet
from spikevision.models.spikeclip.refiner_module import RefinerModel

__all__ = [
    "ClipPretrainModel",
    "PromptLearner",
    "PromptLearnerModel",
    "RefinerModel",
    "RefinerUNet",
    "SpikeClipQualityModel",
    "SpikeClipReconModel",
]
