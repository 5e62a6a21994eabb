"""Polarized Self-Attention layers for Keras, built for edge deployment."""

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
