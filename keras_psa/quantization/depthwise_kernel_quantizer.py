"""Per-channel QAT quantizer of DepthwiseConv2D kernels, as TFLite stores them."""

import tensorflow as tf
from tensorflow_model_optimization.python.core.quantization.keras import quant_ops
from tensorflow_model_optimization.python.core.quantization.keras import quantizers

from keras_psa.keras_flavor import keras


@keras.utils.register_keras_serializable(package="keras_psa")
class DepthwiseKernelQuantizer(quantizers.LastValueQuantizer):
    """Symmetric 8-bit quantizer with one range per output channel of a depthwise kernel.

    tfmot's default 8-bit registry gives DepthwiseConv2D its conv-weight
    quantizer, which keeps one range per entry of the kernel's last axis:
    the depth multiplier, so a single range for the whole kernel
    (tensorflow/model-optimization#808). The TFLite converter then stores
    the kernel per channel anyway, re-rounding the BatchNorm-folded weights
    onto a grid that QAT never saw. This quantizer keeps one range per
    output channel (`in_channels * depth_multiplier`, TFLite's order), so the
    folded fake-quant kernel is exactly the one the int8 model holds.

    Example:

    ```python
    quantizer = DepthwiseKernelQuantizer()
    quantize_config.weight_quantizer = quantizer
    ```
    """

    def __init__(self):
        super().__init__(num_bits=8, per_axis=True, symmetric=True, narrow_range=True)

    def build(self, tensor_shape, name, layer):
        shape = tuple(tensor_shape)
        if len(shape) != 4 or None in shape:
            raise ValueError(
                "`tensor_shape` must be a static depthwise kernel shape "
                f"(height, width, in_channels, depth_multiplier). Received: tensor_shape={shape}"
            )
        channels = int(shape[2]) * int(shape[3])
        return {
            f"{bound}_var": layer.add_weight(
                f"{name}_{bound}",
                shape=(channels,),
                initializer=keras.initializers.Constant(value),
                trainable=False,
            )
            for bound, value in (("min", -6.0), ("max", 6.0))
        }

    def __call__(self, inputs, training, weights, **kwargs):
        height, width, in_channels, multiplier = inputs.shape
        # TFLite's layout (1, H, W, C * M): per-channel quant_ops want the channel last.
        flat = tf.reshape(inputs, (height, width, 1, in_channels * multiplier))
        quantized = quant_ops.LastValueQuantize(
            flat,
            weights["min_var"],
            weights["max_var"],
            is_training=training,
            num_bits=self.num_bits,
            per_channel=True,
            symmetric=self.symmetric,
            narrow_range=self.narrow_range,
        )
        return tf.reshape(quantized, inputs.shape)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()
