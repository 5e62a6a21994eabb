"""Polarized Self-Attention layers for Keras, built for edge deployment."""

# keras_psa.models and the training metric are imported for their registration:
# `import keras_psa` is then enough to load (in safe mode) any model the
# package builds or trains.
import keras_psa.models  # noqa: F401
import keras_psa.training.heatmap_mse  # noqa: F401
import keras_psa.training.pixel_accuracy  # noqa: F401
from keras_psa.layers import ChannelPolarizedAttention
from keras_psa.layers import PolarizedSelfAttention
from keras_psa.layers import SpatialPolarizedAttention
from keras_psa.weights import load_torch_state_dict

__version__ = "0.1.0"

__all__ = [
    "ChannelPolarizedAttention",
    "PolarizedSelfAttention",
    "SpatialPolarizedAttention",
    "load_torch_state_dict",
]
