"""Biases on the int32 grid: the int8 model adds exactly the fake-quant model's biases."""

import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from tests.quantization.conftest import convert_default
from tests.quantization.conftest import interpreter_for
from tests.quantization.conftest import trained_like_qat_model

pytestmark = pytest.mark.tf_keras_only


def conv_bn_model():
    inputs = keras.Input((16, 16, 3), batch_size=1)
    x = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.Conv2D(4, 1)(x)
    return keras.Model(inputs, x)


def tflite_and_keras_biases(qat_model):
    """(int32 bias * its scale, the Keras model's folded bias) for each convolution."""
    interpreter = interpreter_for(convert_default(qat_model))
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    stored = []
    for op in interpreter._get_ops_details():
        if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            bias = tensors[op["inputs"][2]]
            scales = bias["quantization_parameters"]["scales"]
            stored.append((interpreter.get_tensor(bias["index"]) * scales.astype("float64"),
                           scales))
    folded = []
    layers = [getattr(layer, "layer", layer) for layer in qat_model.layers]
    for conv, following in zip(layers, layers[1:] + [None]):
        if type(conv).__name__ not in ("Conv2D", "DepthwiseConv2D"):
            continue
        bias = conv.bias.numpy().astype("float64") if conv.use_bias else 0.0
        if isinstance(following, keras.layers.BatchNormalization):
            scale = following.gamma.numpy() / np.sqrt(following.moving_variance.numpy()
                                                      + following.epsilon)
            bias = following.beta.numpy() + (bias - following.moving_mean.numpy()) * scale
        folded.append(bias)
    assert len(stored) == len(folded) == 3
    return [(values, keras_bias, scales) for (values, scales), keras_bias in zip(stored, folded)]


def test_snapped_biases_are_the_int8_models_biases():
    from keras_psa.quantization import snap_biases_to_integer_grid

    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 3)).astype("float32")
    qat_model = trained_like_qat_model(conv_bn_model(), images)
    before = tflite_and_keras_biases(qat_model)
    # Without snapping the converter rounds every folded bias by up to half a step.
    assert max(np.max(np.abs(v - k) / s) for v, k, s in before) > 0.05
    betas = [w.numpy().copy() for w in qat_model.weights if w.name.endswith("beta:0")]

    assert snap_biases_to_integer_grid(qat_model) == 3
    after = tflite_and_keras_biases(qat_model)
    for (values, keras_bias, scales), (old_values, old_bias, _) in zip(after, before):
        np.testing.assert_allclose(values, keras_bias, atol=1e-3 * scales.min())
        # Each bias moved to the nearest point of the grid: at most half a step.
        assert np.all(np.abs(keras_bias - old_bias) <= 0.5 * scales * (1 + 1e-4))
        np.testing.assert_allclose(values, old_values, atol=1e-3 * scales.min())
    new_betas = [w.numpy() for w in qat_model.weights if w.name.endswith("beta:0")]
    assert all(not np.array_equal(a, b) for a, b in zip(betas, new_betas))


def test_depthwise_kernels_get_a_range_per_channel():
    from keras_psa.quantization import quantize_model

    qat_model = quantize_model(conv_bn_model())
    wrapper = next(layer for layer in qat_model.layers
                   if isinstance(getattr(layer, "layer", None), keras.layers.DepthwiseConv2D))
    shapes = {w.name.split("/")[-1]: tuple(w.shape) for w in wrapper.weights}
    # 8 channels x depth multiplier 2, as the int8 model's per-channel scales.
    assert shapes["depthwise_kernel_min:0"] == (16,)
    assert shapes["depthwise_kernel_max:0"] == (16,)
