"""tfmot's default 8-bit scheme, with per-channel depthwise kernels and quantized
kernels before a ReLU."""

from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_registry,
)
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_scheme,
)

from keras_psa.keras_flavor import keras
from keras_psa.layers.dilated_depthwise_conv2d import DilatedDepthwiseConv2D
from keras_psa.quantization.depthwise_conv_quantize_config import DepthwiseConvQuantizeConfig
from keras_psa.quantization.psa_quantize_layout_transform import PSAQuantizeLayoutTransform


class _PSAQuantizeRegistry(default_8bit_quantize_registry.Default8BitQuantizeRegistry):
    def __init__(self, disable_per_axis=False):
        super().__init__(disable_per_axis)
        if not disable_per_axis:
            self._layer_quantize_map[keras.layers.DepthwiseConv2D] = (
                DepthwiseConvQuantizeConfig()
            )
        # tfmot looks layers up by exact class: the atrous subclass gets the
        # config of the class it subclasses.
        self._layer_quantize_map[DilatedDepthwiseConv2D] = (
            self._layer_quantize_map[keras.layers.DepthwiseConv2D]
        )


class PSAQuantizeScheme(default_8bit_quantize_scheme.Default8BitQuantizeScheme):
    """The scheme `quantize_model` passes to `tfmot...quantize_apply`.

    The same layout transforms and layer configs as tfmot's default 8-bit
    scheme, except that DepthwiseConv2D kernels get one range per channel
    (`DepthwiseKernelQuantizer`), as the int8 TFLite model stores them, and
    that `DilatedDepthwiseConv2D` is quantized (and its BatchNormalization
    and ReLU fused) as a DepthwiseConv2D, and that a convolution or Dense
    layer followed by a ReLU keeps its kernel quantization (`PSAQuantizeLayoutTransform`).

    Args:
        disable_per_axis: per-tensor kernels everywhere, as tfmot's option.

    Example:

    ```python
    annotated = tfmot.quantization.keras.quantize_annotate_model(model)
    qat_model = tfmot.quantization.keras.quantize_apply(annotated, scheme=PSAQuantizeScheme())
    ```
    """

    def get_layout_transformer(self):
        return PSAQuantizeLayoutTransform(self._disable_per_axis)

    def get_quantize_registry(self):
        return _PSAQuantizeRegistry(self._disable_per_axis)
