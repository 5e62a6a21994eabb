"""tfmot's default 8-bit layout transforms, with weights kept quantized before a ReLU."""

from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_configs,
)
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_layout_transform,
)
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_registry,
)
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_transforms,
)
from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations import (
    model_transformer,
)
from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations.transforms import (  # noqa: E501
    LayerPattern,
)

from keras_psa.quantization.depthwise_conv_quantize_config import DepthwiseConvQuantizeConfig

# The atrous DepthwiseConv2D subclass, under its registered name
# (`keras_psa>DilatedDepthwiseConv2D` in a tf_keras config).
_DILATED_DEPTHWISE = "(keras_psa>)?DilatedDepthwiseConv2D"
_TFMOT_CONVOLUTIONS = "Conv2D|DepthwiseConv2D"


def _weights_only_config(class_name, disable_per_axis):
    """The registry's config of `class_name` without output or activation quantization."""
    registry = default_8bit_quantize_registry
    if class_name.split(">")[-1] == "DilatedDepthwiseConv2D":
        class_name = "DepthwiseConv2D"
    if class_name == "Conv2D" and not disable_per_axis:
        return registry.Default8BitConvQuantizeConfig(["kernel"], [], False)
    if class_name == "DepthwiseConv2D" and not disable_per_axis:
        return DepthwiseConvQuantizeConfig(activation_attrs=())
    if class_name == "DepthwiseConv2D":
        return registry.Default8BitQuantizeConfig(["depthwise_kernel"], [], False)
    if class_name in ("Conv2D", "Dense"):
        return registry.Default8BitQuantizeConfig(["kernel"], [], False)
    return default_8bit_quantize_configs.NoOpQuantizeConfig()


# The converter fuses a ReLU into the op before it, which then writes the
# ReLU's int8 grid directly: a fake-quant between them would round twice
# where the int8 model rounds once. tfmot lists Add and the weighted layers;
# the hard-sigmoid's `ReLU(6)(x + 3)` of MobileNetV3 (ScalarArithmetic, as
# quantize_model rewrites the TFOpLambda) and a Multiply fuse the same way.
# Grouped: tfmot anchors the pattern as `^...$`.
_FUSED_BEFORE_RELU = (
    f"(Add|Multiply|(keras_psa>)?ScalarArithmetic|Conv2D|DepthwiseConv2D|{_DILATED_DEPTHWISE}|Dense)"
)


def _with_dilated_depthwise(pattern):
    """`pattern` with `DilatedDepthwiseConv2D` wherever it names tfmot's convolutions."""
    class_name = pattern.class_name
    if class_name == _TFMOT_CONVOLUTIONS:
        class_name = f"{_TFMOT_CONVOLUTIONS}|{_DILATED_DEPTHWISE}"
    return LayerPattern(class_name, pattern.config,
                        [_with_dilated_depthwise(p) for p in pattern.inputs])


def _covering_dilated_depthwise(transform_class):
    """`transform_class` (a Conv2D/DepthwiseConv2D + BatchNorm transform) also
    matching `DilatedDepthwiseConv2D`, so no fake-quant lands between it and the
    BatchNormalization and ReLU the converter fuses into it."""

    class Transform(transform_class):
        def pattern(self):
            return _with_dilated_depthwise(super().pattern())

    Transform.__name__ = transform_class.__name__
    return Transform


class _PSALayerReLUQuantize(default_8bit_transforms.LayerReLUQuantize):
    # tfmot's version gives the layer before the ReLU a NoOpQuantizeConfig,
    # which also drops its kernel quantization: the fake-quant model then
    # convolves with float weights (MobileNetV3's squeeze-excite Conv ->
    # ReLU) while the int8 model holds int8 ones. Only the fake-quant
    # between the layer and the ReLU has to go.
    def __init__(self, disable_per_axis=False):
        super().__init__()
        self._disable_per_axis = disable_per_axis

    def pattern(self):
        return LayerPattern("ReLU", inputs=[LayerPattern(_FUSED_BEFORE_RELU)])

    def replacement(self, match_layer):
        feeding = match_layer.input_layers[0]
        feeding.metadata["quantize_config"] = _weights_only_config(
            feeding.layer["class_name"], self._disable_per_axis)
        return match_layer

    def custom_objects(self):
        return {
            **super().custom_objects(),
            "Default8BitQuantizeConfig": default_8bit_quantize_registry.Default8BitQuantizeConfig,
            "Default8BitConvQuantizeConfig": (
                default_8bit_quantize_registry.Default8BitConvQuantizeConfig),
            "DepthwiseConvQuantizeConfig": DepthwiseConvQuantizeConfig,
        }


class _PSALayerReluActivationQuantize(_PSALayerReLUQuantize):
    def pattern(self):
        relu = default_8bit_transforms.LayerReluActivationQuantize().pattern()
        return LayerPattern(relu.class_name, relu.config,
                            inputs=[LayerPattern(_FUSED_BEFORE_RELU)])


class PSAQuantizeLayoutTransform(
    default_8bit_quantize_layout_transform.Default8BitQuantizeLayoutTransform
):
    """The layout transforms of `PSAQuantizeScheme`: tfmot 0.8's default 8-bit list.

    The same list and order, except for the layer directly before a ReLU
    (whose output fake-quant goes, as the converter fuses the ReLU into it):
    a Conv2D, DepthwiseConv2D or Dense layer keeps its kernel quantization
    (tfmot removes it along with the output fake-quant, so QAT trains with
    float kernels that the converter then rounds to int8), Multiply and
    the package's `x + c` / `x * c` layer are covered besides Add, and
    `DilatedDepthwiseConv2D` is treated as a DepthwiseConv2D.

    Args:
        disable_per_axis: per-tensor kernels, as the scheme's option.
    """

    def __init__(self, disable_per_axis=False):
        self.disable_per_axis = disable_per_axis

    def apply(self, model, layer_quantize_map):
        t = default_8bit_transforms
        transforms = [
            t.InputLayerQuantize(),
            t.SeparableConv1DQuantize(),
            t.SeparableConvQuantize(),
            t.Conv2DReshapeBatchNormReLUQuantize(),
            t.Conv2DReshapeBatchNormActivationQuantize(),
            _covering_dilated_depthwise(t.Conv2DBatchNormReLUQuantize)(),
            _covering_dilated_depthwise(t.Conv2DBatchNormActivationQuantize)(),
            t.Conv2DReshapeBatchNormQuantize(),
            _covering_dilated_depthwise(t.Conv2DBatchNormQuantize)(),
            t.ConcatTransform6Inputs(),
            t.ConcatTransform5Inputs(),
            t.ConcatTransform4Inputs(),
            t.ConcatTransform3Inputs(),
            t.ConcatTransform(),
            t.DenseBatchNormQuantize(),
            t.DenseBatchNormReLUQuantize(),
            t.DenseBatchNormActivationQuantize(),
            _PSALayerReLUQuantize(self.disable_per_axis),
            _PSALayerReluActivationQuantize(self.disable_per_axis),
        ]
        return model_transformer.ModelTransformer(
            model, transforms, set(layer_quantize_map.keys()), layer_quantize_map
        ).transform()
