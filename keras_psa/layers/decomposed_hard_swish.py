"""Hard-swish written so that an int8 TFLite model keeps it on XNNPACK."""

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable


@register_serializable
class DecomposedHardSwish(keras.layers.Layer):
    """Hard-swish, `x * relu6(x + 3) / 6`, as `relu6(x + 3) * (x / 6)`.

    The TFLite converter fuses the usual spellings of hard-swish into one
    HARD_SWISH op, and XNNPACK's TFLite delegate has no int8 HARD_SWISH: an
    int8 MobileNetV3 runs it on TFLite's reference kernel (plain post-training
    int8 slower than float32) or, as `keras_psa.export.convert_model` does by
    default, keeps it a float island between DEQUANTIZE and QUANTIZE. This
    order of operations is not fused: it lowers to an ADD with a fused RELU6
    and two MULs, all int8 and all taken by XNNPACK, for targets that need
    every op in int8 (`convert_model(..., decompose_hard_swish=True)` swaps
    it in). On XNNPACK for x86 the float islands measured faster.

    Args:
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of any shape.

    Output shape: the input's.

    Example:

    >>> x = np.array([-4.0, -1.0, 0.0, 1.0, 4.0], "float32")
    >>> np.asarray(DecomposedHardSwish()(x)).round(4)
    array([-0.    , -0.3333,  0.    ,  0.6667,  4.    ], dtype=float32)
    """

    def call(self, inputs):
        return ops.relu6(inputs + 3.0) * (inputs * (1.0 / 6.0))

    def compute_output_shape(self, input_shape):
        return input_shape
