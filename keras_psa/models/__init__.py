"""Model builders: MobileNet segmentation and heatmap models with attention blocks."""

from keras_psa.models.attention import ATTENTIONS, PSA_VARIANTS, get_attention_layer
from keras_psa.models.backbones import BACKBONES, FEATURE_TAPS, feature_taps
from keras_psa.models.cbam import CBAM
from keras_psa.models.class_labels import ClassLabels
from keras_psa.models.dense_model import ATTENTION_POSITIONS, HEADS
from keras_psa.models.resize_like import ResizeLike
from keras_psa.models.segmentation_model import build_segmentation_model
from keras_psa.models.squeeze_excitation import SqueezeExcitation

__all__ = [
    "ATTENTIONS",
    "ATTENTION_POSITIONS",
    "BACKBONES",
    "CBAM",
    "ClassLabels",
    "FEATURE_TAPS",
    "HEADS",
    "PSA_VARIANTS",
    "ResizeLike",
    "SqueezeExcitation",
    "build_segmentation_model",
    "feature_taps",
    "get_attention_layer",
]
