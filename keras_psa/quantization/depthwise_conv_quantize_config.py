"""QuantizeConfig of DepthwiseConv2D with per-channel kernel ranges."""

from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_registry,
)

from keras_psa.keras_flavor import keras
from keras_psa.quantization.depthwise_kernel_quantizer import DepthwiseKernelQuantizer


@keras.utils.register_keras_serializable(package="keras_psa")
class DepthwiseConvQuantizeConfig(default_8bit_quantize_registry.Default8BitQuantizeConfig):
    """tfmot's default 8-bit DepthwiseConv2D config with `DepthwiseKernelQuantizer`.

    Args:
        weight_attrs: names of the kernel attributes to quantize.
        activation_attrs: names of the activation attributes to quantize.
        quantize_output: whether to quantize the layer's output.
    """

    def __init__(self, weight_attrs=("depthwise_kernel",), activation_attrs=("activation",),
                 quantize_output=False):
        super().__init__(list(weight_attrs), list(activation_attrs), quantize_output)
        self.weight_quantizer = DepthwiseKernelQuantizer()
