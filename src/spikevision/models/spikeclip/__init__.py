"""SpikeCLIP: CLIP-guided spiking reconstruction in stages.

0. :class:`ClipPretrainModel` — a small open_clip model trained on dataset images (offline default);
1. :class:`SpikeClipReconModel` — the spiking reconstruction net with class InfoNCE;
2. :class:`PromptLearnerModel` — CoOp HQ/LQ prompts;
3. :class:`SpikeClipQualityModel` (fine-tune the SNN) or :class:`RefinerModel` (U-Net refiner);
then :class:`SpikeClipPipeline` runs a combined checkpoint.

Files, by stage: ``stage0_clip_pretrain.py``, ``stage1_recon.py``, ``stage2_prompts.py``,
``stage3_finetune.py`` (3a), ``stage3_refiner.py`` (3b); their bases ``stage_base.py`` (export of
the best checkpoint, frozen previous stage); shared pieces ``prompt_learner.py``, ``refiner.py``
(the U-Net), ``guidance.py``, ``degrade.py``, ``coarse_cache.py``, ``artifacts.py`` (export
files), ``pipeline.py`` (combined checkpoint) and ``evaluation.py``.
"""

from spikevision.models.spikeclip.prompt_learner import PromptLearner
from spikevision.models.spikeclip.refiner import RefinerUNet
from spikevision.models.spikeclip.stage0_clip_pretrain import ClipPretrainModel
from spikevision.models.spikeclip.stage1_recon import SpikeClipReconModel
from spikevision.models.spikeclip.stage2_prompts import PromptLearnerModel
from spikevision.models.spikeclip.stage3_finetune import SpikeClipQualityModel
from spikevision.models.spikeclip.stage3_refiner import RefinerModel

__all__ = [
    "ClipPretrainModel",
    "PromptLearner",
    "PromptLearnerModel",
    "RefinerModel",
    "RefinerUNet",
    "SpikeClipQualityModel",
    "SpikeClipReconModel",
]
