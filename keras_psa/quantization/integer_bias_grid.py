"""Puts the biases of a QAT model on the int32 grid its int8 TFLite model stores."""

import numpy as np

from keras_psa.keras_flavor import keras
from keras_psa.layers.quantizable_layer import QuantizableLayer
from keras_psa.quantization.require_tf_keras import require_tf_keras

# Layers whose int8 output keeps the scale of their input.
_SCALE_PRESERVING = ("ZeroPadding2D", "Reshape", "Dropout", "MaxPooling2D")
_CONVOLUTIONS = ("Conv2D", "DepthwiseConv2D", "DilatedDepthwiseConv2D")


def _inner(layer):
    return getattr(layer, "layer", layer)


def _step(range_variables, levels=255.0):
    """The step FakeQuantWithMinMaxVars (and the converter) derive from a range."""
    low, high = (np.asarray(variable.numpy(), "float64") for variable in range_variables)
    return (np.maximum(high, 0.0) - np.minimum(low, 0.0)) / levels


def _output_range(layer):
    """(min, max) variables of the range `layer`'s output is fake-quantized to, or None."""
    quantizer_vars = getattr(layer, "quantizer_vars", None)  # tfmot's QuantizeLayer
    if quantizer_vars:
        return quantizer_vars["min_var"], quantizer_vars["max_var"]
    output_vars = getattr(layer, "_output_quantizer_vars", None)
    if output_vars:
        return output_vars["min_var"], output_vars["max_var"]
    inner = _inner(layer)
    post_vars = getattr(getattr(inner, "activation", None), "_post_activation_vars", None)
    if post_vars:
        return post_vars["min_var"], post_vars["max_var"]
    if isinstance(inner, QuantizableLayer):
        return inner.output_range_variables()
    return None


def _single_inbound(layer):
    inbound = layer.inbound_nodes[0].inbound_layers
    if isinstance(inbound, (list, tuple)):
        return inbound[0] if len(inbound) == 1 else None
    return inbound


def _input_step(layer):
    """Quantization step of the int8 tensor `layer` reads, or None when unknown."""
    source = _single_inbound(layer)
    while source is not None and type(_inner(source)).__name__ in _SCALE_PRESERVING:
        source = _single_inbound(source)
    if source is None:
        return None
    range_variables = _output_range(source)
    return None if range_variables is None else float(_step(range_variables))


def _kernel_step(wrapper):
    """Per-channel step of the fake-quant kernel (symmetric, narrow range: 254 levels)."""
    weight_vars = getattr(wrapper, "_weight_vars", [])
    if len(weight_vars) != 1:  # a convolution quantizes its kernel only
        return None
    quantizer_vars = weight_vars[0][2]
    return _step((quantizer_vars["min_var"], quantizer_vars["max_var"]), 254.0)


def _consumers(model):
    found = {}
    for layer in model.layers:
        for node in layer.inbound_nodes:
            inbound = node.inbound_layers
            for source in inbound if isinstance(inbound, (list, tuple)) else [inbound]:
                found.setdefault(id(source), []).append(layer)
    return found


def _on_grid(values, grid):
    return np.round(values / grid) * grid


def snap_biases_to_integer_grid(qat_model):
    """Moves every convolution bias of a QAT model onto the int32 grid of its int8 model.

    The int8 TFLite model stores a convolution's bias, with any BatchNormalization
    after it folded in, as int32 in steps of `input_step * kernel_step` per
    channel; the fake-quant Keras model adds it in float. The rounding between
    the two is up to half a step, a few thousandths of an output step, which is
    enough to flip outputs that sit near a rounding boundary; deep networks
    carry such flips forward. After this call (on the trained QAT model, before
    conversion) both models add the same bias: each folded bias moves by at most
    half an int32 step (the BatchNormalization's `beta` absorbs the change where
    there is one), and the converted int8 convolutions compute the fake-quant
    model's sums exactly. Call it again after further training.

    Convolutions whose input range cannot be traced (an input of several
    layers, a layer without an output range) are left as they are.

    Args:
        qat_model: a model returned by `quantize_model` (tf_keras), with trained
            ranges.

    Returns:
        The number of convolutions whose bias is now on the grid.

    Example:

    ```python
    snap_biases_to_integer_grid(qat_model)
    # 52
    convert_qat_model(qat_model, "qat_int8.tflite")
    ```
    """
    require_tf_keras("snap_biases_to_integer_grid")
    if not isinstance(qat_model, keras.Model):
        raise TypeError(
            f"`qat_model` must be a tf_keras model from quantize_model. Received: {qat_model!r}"
        )
    consumers = _consumers(qat_model)
    snapped = 0
    for layer in qat_model.layers:
        inner = _inner(layer)
        if inner is layer or type(inner).__name__ not in _CONVOLUTIONS:
            continue
        kernel_step = _kernel_step(layer)
        input_step = _input_step(layer)
        if kernel_step is None or input_step is None:
            continue
        bias = inner.bias.numpy().astype("float64") if inner.use_bias else 0.0
        following = consumers.get(id(layer), [])
        norm = _inner(following[0]) if len(following) == 1 else None
        if isinstance(norm, keras.layers.BatchNormalization) and norm.center:
            gamma = norm.gamma.numpy().astype("float64") if norm.scale else 1.0
            scale = gamma / np.sqrt(norm.moving_variance.numpy().astype("float64") + norm.epsilon)
            folded = norm.beta.numpy() + (bias - norm.moving_mean.numpy()) * scale
            grid = input_step * kernel_step * np.abs(scale)
            shift = _on_grid(folded, grid) - folded
            norm.beta.assign((norm.beta.numpy() + shift).astype("float32"))
        elif inner.use_bias and not isinstance(norm, keras.layers.BatchNormalization):
            inner.bias.assign(_on_grid(bias, input_step * kernel_step).astype("float32"))
        else:
            continue
        snapped += 1
    return snapped
