"""One-call QAT of models that use the package's layers and Keras backbones."""

import contextlib

from keras_psa.keras_flavor import keras
from keras_psa.layers.quantizable_layer import QuantizableLayer
from keras_psa.quantization.require_tf_keras import require_tf_keras
from keras_psa.quantization.scalar_arithmetic import ScalarArithmetic

# Layers the default 8-bit registry of tfmot 0.8 leaves out but that
# keras.applications MobileNetV3 (and typical heads) use; none has weights
# to quantize, so quantizing the output gives the next op its int8 input:
# Multiply (squeeze-excite gates, hard-swish), ScalarArithmetic (put in
# place of the TFOpLambda `x + 3.0` and `* (1 / 6)` of tf_keras's
# hard-sigmoid), and keras_psa's ResizeLike (an image resize, quantized like
# tfmot's UpSampling2D). Rescaling becomes a frozen 1x1 depthwise convolution (one
# int8 op, where `x * s + o` would need a range between its MUL and ADD).
OUTPUT_QUANTIZED_LAYERS = ("Multiply", "ScalarArithmetic", "ResizeLike")
# Layers that tfmot's layout transforms fold into their neighbours or
# replace (BatchNormalization after a convolution), or that need nothing.
PASS_THROUGH_LAYERS = ("InputLayer", "BatchNormalization")


def _rescaling_as_depthwise_conv(layer):
    """A frozen DepthwiseConv2D computing `x * scale + offset`, like `layer`.

    Frozen by `FrozenValue` constraints, not by `trainable=False` alone, which
    tfmot's wrapper ignores for the weights it quantizes: QAT must not move
    the model's input scale (the pixel range every caller feeds).
    """
    import numpy as np

    from keras_psa.quantization.frozen_value import FrozenValue

    input_shape = layer.input_shape
    channels = input_shape[-1]
    if len(input_shape) != 4 or channels is None:
        raise ValueError(
            f"Rescaling layer {layer.name} needs a 4-D input with known channels to be "
            f"quantized. Received: input_shape={input_shape}"
        )
    config = layer.get_config()
    scale = np.broadcast_to(np.asarray(config["scale"], "float32"), (channels,))
    offset = np.broadcast_to(np.asarray(config["offset"], "float32"), (channels,))
    kernel = scale.reshape(1, 1, channels, 1)
    conv = keras.layers.DepthwiseConv2D(
        1, use_bias=True, trainable=False, name=layer.name,
        depthwise_constraint=FrozenValue(kernel), bias_constraint=FrozenValue(offset))
    conv.build(input_shape)
    conv.set_weights([kernel, offset])
    return conv


@contextlib.contextmanager
def _inputs_in_call_order():
    """Makes tfmot's layout transforms keep the order of a layer's inputs.

    tfmot 0.8.1's `ModelTransformer._get_layers` returns the matched layers in the
    order of the model's config, not in the order asked for
    (tensorflow/model-optimization#1179, #1061): when a pattern matches a
    Concatenate (tfmot's ConcatTransform), its inputs come out in config order. In
    the DeepLabV3+ head the image-pooling branch moved from last to first, so the
    QAT model's ASPP projection read permuted channels: a different function from
    the float model before any fine-tuning (the demo's fake-quant model scored 0.51
    mean IoU where post-training int8 gives 0.55).
    """
    from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations import (  # noqa: E501
        model_transformer,
    )

    transformer = model_transformer.ModelTransformer
    original = transformer._get_layers

    def get_layers_in_order(self, layer_names):
        by_name = {layer["config"]["name"]: layer for layer in self._config["layers"]}
        # dict.fromkeys: one entry per layer, as tfmot's own version gives.
        return [by_name[name] for name in dict.fromkeys(layer_names) if name in by_name]

    transformer._get_layers = get_layers_in_order
    try:
        yield
    finally:
        transformer._get_layers = original


def quantize_scope(*custom_objects):
    """Scope for loading QAT models of this package (SavedModel or h5).

    Args:
        *custom_objects: dicts of further custom objects the model needs.

    Example:

    ```python
    with quantize_scope():
        model = tf_keras.models.load_model(path)
    ```
    """
    require_tf_keras("quantize_scope")
    import tensorflow_model_optimization as tfmot

    from keras_psa.quantization.depthwise_conv_quantize_config import DepthwiseConvQuantizeConfig
    from keras_psa.quantization.depthwise_kernel_quantizer import DepthwiseKernelQuantizer
    from keras_psa.quantization.frozen_value import FrozenValue
    from keras_psa.quantization.quantizable_layer_quantize_config import (
        QuantizableLayerQuantizeConfig,
    )

    objects = {
        "FrozenValue": FrozenValue,
        "QuantizableLayerQuantizeConfig": QuantizableLayerQuantizeConfig,
        "DepthwiseConvQuantizeConfig": DepthwiseConvQuantizeConfig,
        "DepthwiseKernelQuantizer": DepthwiseKernelQuantizer,
    }
    objects.update(keras.saving.get_custom_objects())
    for extra in custom_objects:
        objects.update(extra)
    return tfmot.quantization.keras.quantize_scope(objects)


def quantize_model(model):
    """Returns a trainable QAT copy of `model`, int8 everywhere once converted.

    Every layer is annotated: `keras_psa` layers (PSA and its branches, and
    any other `QuantizableLayer`) with `QuantizableLayerQuantizeConfig`,
    which also fake-quantizes the tensors inside them; layers of tfmot's
    default 8-bit registry with their default configs; Multiply, TFOpLambda
    and Rescaling (MobileNetV3's hard-swish, squeeze-excite and
    preprocessing) with output quantization; DepthwiseConv2D kernels get one
    range per channel (`PSAQuantizeScheme`), as the int8 model stores them. Converted with
    `tf.lite.Optimize.DEFAULT` and no representative dataset, the result
    has int8 ops only, with a QUANTIZE after a float input and a DEQUANTIZE
    before a float output.

    Args:
        model: a Functional or Sequential tf_keras model (tfmot accepts no
            subclassed model); its weights are the starting point.

    Returns:
        A new tf_keras model; compile and fit it like the float one. Save it
        as a SavedModel and load it back inside `quantize_scope()`.

    Example:

    ```python
    qat_model = quantize_model(float_model)
    qat_model.compile(optimizer="adam", loss=loss)
    qat_model.fit(dataset, epochs=2)
    ```
    """
    require_tf_keras("quantize_model")
    import tensorflow_model_optimization as tfmot
    from tensorflow_model_optimization.python.core.quantization.keras import quantize_annotate
    from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
        default_8bit_quantize_configs,
    )

    from keras_psa.quantization.psa_quantize_scheme import PSAQuantizeScheme
    from keras_psa.quantization.quantizable_layer_quantize_config import (
        QuantizableLayerQuantizeConfig,
    )

    if not isinstance(model, keras.Model) or not (
        isinstance(model, keras.Sequential) or getattr(model, "_is_graph_network", False)
    ):
        raise ValueError(
            "`model` must be a Functional or Sequential tf_keras model (tfmot cannot "
            f"quantize subclassed models). Received: model={model!r}"
        )
    registry = PSAQuantizeScheme().get_quantize_registry()
    unsupported = []

    def annotate(layer):
        if isinstance(layer, quantize_annotate.QuantizeAnnotate):
            return layer
        class_name = type(layer).__name__
        if class_name == "TFOpLambda":
            replacement = ScalarArithmetic.from_tf_op_lambda(layer)
            if replacement is not None:
                layer, class_name = replacement, "ScalarArithmetic"
        if class_name == "Rescaling":
            layer = _rescaling_as_depthwise_conv(layer)
            config = None
        elif isinstance(layer, QuantizableLayer):
            config = QuantizableLayerQuantizeConfig()
        elif class_name in OUTPUT_QUANTIZED_LAYERS:
            config = default_8bit_quantize_configs.Default8BitOutputQuantizeConfig()
        elif class_name in PASS_THROUGH_LAYERS or registry.supports(layer):
            config = None
        else:
            unsupported.append(f"{layer.name} ({class_name})")
            return layer
        return quantize_annotate.QuantizeAnnotate(layer, quantize_config=config)

    annotated = keras.models.clone_model(model, clone_function=annotate)
    if unsupported:
        raise ValueError(
            "`model` has layers that neither tfmot's 8-bit registry nor keras_psa can "
            f"quantize: {', '.join(unsupported)}. Replace them with supported layers, or "
            "annotate them with a QuantizeConfig (tfmot.quantization.keras."
            "quantize_annotate_layer) before calling quantize_model."
        )
    with quantize_scope(), _inputs_in_call_order():
        return tfmot.quantization.keras.quantize_apply(annotated, scheme=PSAQuantizeScheme())
