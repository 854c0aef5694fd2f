"""Learned MRI reconstructions: mSENSE, unrolled networks (Monarch / FFT), the U-Net baseline, by name.

>>> from monarch_sci.mri.models import build_model, available_models
>>> model = build_model("msense", shape=(64, 64), structure="MM*")
"""

from .fourier import INITS, LEARN, FourierPair
from .image_unet import ImageUNet
from .msense import MSense
from .registry import MODELS, ModelEntry, available_models, build_model, count_parameters, model_entry, register
from .unet import NormUNet, UNet
from .unrolled import Unrolled

__all__ = [
    "INITS",
    "LEARN",
    "MODELS",
    "FourierPair",
    "ImageUNet",
    "MSense",
    "ModelEntry",
    "NormUNet",
    "UNet",
    "Unrolled",
    "available_models",
    "build_model",
    "count_parameters",
    "model_entry",
    "register",
]
