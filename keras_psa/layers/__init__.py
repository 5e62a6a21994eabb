from keras_psa.layers.channel_polarized_attention import ChannelPolarizedAttention
from keras_psa.layers.dilated_depthwise_conv2d import DilatedDepthwiseConv2D
from keras_psa.layers.dilated_depthwise_conv2d import native_dilation_scope
from keras_psa.layers.polarized_self_attention import PolarizedSelfAttention
from keras_psa.layers.spatial_polarized_attention import SpatialPolarizedAttention

__all__ = [
    "ChannelPolarizedAttention",
    "DilatedDepthwiseConv2D",
    "PolarizedSelfAttention",
    "SpatialPolarizedAttention",
    "native_dilation_scope",
]
