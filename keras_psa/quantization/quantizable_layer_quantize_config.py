"""QuantizeConfig of the package's layers (PSA, its branches, SE, CBAM, ...)."""

from tensorflow_model_optimization.python.core.quantization.keras import quantize_config
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantizers,
)

from keras_psa.keras_flavor import keras
from keras_psa.quantization.activation_quantizer import make_activation_quantizer


def _convolutions(layer):
    """The Conv2D sublayers of `layer`, at any depth, in a fixed order."""
    return [
        sublayer
        for sublayer in layer._flatten_layers(include_self=False, recursive=True)
        if isinstance(sublayer, keras.layers.Conv2D)
    ]


@keras.utils.register_keras_serializable(package="keras_psa")
class QuantizableLayerQuantizeConfig(quantize_config.QuantizeConfig):
    """Default 8-bit QAT of a `keras_psa` layer, inside and out.

    Kernels of the inner 1x1 convolutions get tfmot's per-channel symmetric
    conv-weight quantizer (what its registry gives a Conv2D), and the layer's
    own activation hooks (see `QuantizableLayer`) become moving-average
    fake-quant ops, output included, so the TFLite converter can give every
    op inside the layer int8 inputs and outputs.

    tfmot calls `get_weights_and_quantizers` once, from the wrapper's
    `build`, after the layer is built: the activation range variables are
    created there, on the layer, so that they save and restore with it.
    """

    def get_weights_and_quantizers(self, layer):
        layer.enable_activation_quantization(make_activation_quantizer)
        return [
            (conv.kernel, default_8bit_quantizers.Default8BitConvWeightsQuantizer())
            for conv in _convolutions(layer)
        ]

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        convolutions = _convolutions(layer)
        if len(convolutions) != len(quantize_weights):
            raise ValueError(
                f"{layer.name} has {len(convolutions)} convolution kernels but "
                f"{len(quantize_weights)} quantized weights were given."
            )
        for conv, weight in zip(convolutions, quantize_weights):
            conv.kernel = weight

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        # The layer's "output" hook quantizes it; a second range would
        # only add a requantize op.
        return []

    def get_config(self):
        return {}
