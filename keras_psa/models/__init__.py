"""Model builders: MobileNet segmentation and heatmap models with attention blocks."""

from keras_psa.models.architecture_spec import ArchitectureSpec
from keras_psa.models.attention import ATTENTIONS
from keras_psa.models.attention import PSA_VARIANTS
from keras_psa.models.attention import get_attention_layer
from keras_psa.models.backbones import BACKBONES
from keras_psa.models.backbones import FEATURE_TAPS
from keras_psa.models.backbones import feature_taps
from keras_psa.models.batch_norm_statistics import set_batch_norm_statistics
from keras_psa.models.cbam import CBAM
from keras_psa.models.class_labels import ClassLabels
from keras_psa.models.complexity import count_macs
from keras_psa.models.complexity import model_complexity
from keras_psa.models.dense_prediction import ATTENTION_POSITIONS
from keras_psa.models.dense_prediction import HEADS
from keras_psa.models.heatmap_model import build_heatmap_model
from keras_psa.models.native_dilation import with_native_dilation
from keras_psa.models.resize_like import ResizeLike
from keras_psa.models.segmentation_model import build_segmentation_model
from keras_psa.models.squeeze_excitation import SqueezeExcitation

__all__ = [
    "ATTENTIONS",
    "ATTENTION_POSITIONS",
    "BACKBONES",
    "CBAM",
    "ArchitectureSpec",
    "FEATURE_TAPS",
    "HEADS",
    "PSA_VARIANTS",
    "ClassLabels",
    "ResizeLike",
    "SqueezeExcitation",
    "build_heatmap_model",
    "build_segmentation_model",
    "count_macs",
    "feature_taps",
    "get_attention_layer",
    "model_complexity",
    "set_batch_norm_statistics",
    "with_native_dilation",
]
