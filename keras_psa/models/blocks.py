"""Convolution blocks shared by the segmentation heads."""

from keras_psa.keras_flavor import keras
from keras_psa.layers.dilated_depthwise_conv2d import DilatedDepthwiseConv2D


def conv_bn_relu(x, filters, name, kernel_size=1):
    """Conv2D (no bias) + BatchNormalization + ReLU."""
    x = keras.layers.Conv2D(
        filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def separable_conv_bn_relu(x, filters, name, dilation_rate=1):
    """Depthwise 3x3 (optionally atrous) + BN + ReLU, then pointwise + BN + ReLU.

    An atrous depthwise convolution is a `DilatedDepthwiseConv2D` (the same
    weights and config), which converts to one dilated DEPTHWISE_CONV_2D on
    every export path; `DepthwiseConv2D` would become SPACE_TO_BATCH_ND and
    BATCH_TO_SPACE_ND around it whenever the converter does not see a static
    shape.
    """
    conv = DilatedDepthwiseConv2D if dilation_rate != 1 else keras.layers.DepthwiseConv2D
    x = conv(3, padding="same", dilation_rate=dilation_rate, use_bias=False, name=f"{name}_dw")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = keras.layers.ReLU(name=f"{name}_dw_relu")(x)
    return conv_bn_relu(x, filters, name=f"{name}_pw")


def global_context(x, filters, name, activation):
    """Global average pool (kept 4-D) + 1x1 conv with bias + activation.

    No BatchNormalization here: on a 1x1 map it would see one value per image,
    which breaks training with batch size 1.
    """
    x = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_pool")(x)
    return keras.layers.Conv2D(filters, 1, activation=activation, name=f"{name}_conv")(x)
