"""Hard-swish written so that an int8 TFLite model keeps it on XNNPACK."""

import tensorflow as tf

from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable


@register_serializable
class DecomposedHardSwish(keras.layers.Layer):
    """Hard-swish, `x * relu6(x + 3) / 6`, as `relu6(x + 3) * (x / 6)`.

    The TFLite converter fuses the usual spellings of hard-swish into one
    HARD_SWISH op. XNNPACK's TFLite delegate has no int8 HARD_SWISH, so in an
    int8 MobileNetV3 every hard-swish either runs on TFLite's reference kernel
    or stays a float island with a DEQUANTIZE/QUANTIZE pair, each splitting the
    XNNPACK graph. This order of operations is not fused: it lowers to an ADD
    with a fused RELU6 and two MULs, all three taken by XNNPACK in int8. In
    float32 the single HARD_SWISH op is cheaper, so the exporter swaps this
    layer in for int8 models only (`keras_psa.export.convert_model`).

    Args:
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of any shape.

    Output shape: the input's.

    Example:

    >>> DecomposedHardSwish()(tf.constant([-4.0, -1.0, 0.0, 1.0, 4.0]))
    <tf.Tensor: shape=(5,), dtype=float32, numpy=array([-0.  , -0.33333334,  0.  ,
    0.6666667 ,  4.  ], dtype=float32)>
    """

    def call(self, inputs):
        return tf.nn.relu6(inputs + 3.0) * (inputs * (1.0 / 6.0))

    def compute_output_shape(self, input_shape):
        return input_shape
