"""Stereo deep joint source-channel coding (the DHF-JSCC-SNN system): CNN and SNN codecs,
single-view, side-information and joint variants, over AWGN or Rayleigh channels."""

from spikevision.models.jscc.codec import JsccDecoder, JsccEncoder
from spikevision.models.jscc.complexity import OpCount, count_operations
from spikevision.models.jscc.gdn import GDN
from spikevision.models.jscc.jscc_module import StereoJsccModel
from spikevision.models.jscc.stereo import VARIANTS, StereoJscc

__all__ = ["GDN", "VARIANTS", "JsccDecoder", "JsccEncoder", "OpCount", "StereoJscc", "StereoJsccModel",
           "count_operations"]
