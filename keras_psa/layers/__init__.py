from keras_psa.layers.channel_polarized_attention import ChannelPolarizedAttention
from keras_psa.layers.polarized_self_attention import PolarizedSelfAttention
from keras_psa.layers.spatial_polarized_attention import SpatialPolarizedAttention

__all__ = [
    "ChannelPolarizedAttention",
    "PolarizedSelfAttention",
    "SpatialPolarizedAttention",
]
