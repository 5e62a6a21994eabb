"""A convolution or Dense layer before a ReLU layer keeps its kernel fake-quantized."""

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from keras_psa.keras_flavor import keras
from tests.quantization.conftest import convert_default
from tests.quantization.conftest import interpreter_for
from tests.quantization.conftest import output_step
from tests.quantization.conftest import run

pytestmark = pytest.mark.tf_keras_only

WEIGHTED = ("Conv2D", "DepthwiseConv2D", "Dense")


def unquantized_kernels(qat_model):
    return [layer.name for layer in qat_model.layers
            if type(getattr(layer, "layer", None)).__name__ in WEIGHTED
            and not layer._weight_vars]


def relu_after_each_weighted_layer():
    # The squeeze-excite pattern of keras.applications MobileNetV3: Conv2D -> ReLU layer.
    inputs = keras.Input((8, 8, 8), batch_size=1)
    x = keras.layers.Conv2D(16, 3, padding="same")(inputs)
    x = keras.layers.ReLU()(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Dense(8)(x)
    x = keras.layers.ReLU()(x)
    return keras.Model(inputs, x)


def test_kernels_before_relu_are_quantized_and_int8_matches_fake_quant():
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization import snap_biases_to_integer_grid

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (16, 8, 8, 8)).astype("float32")
    qat_model = quantize_model(relu_after_each_weighted_layer())
    assert unquantized_kernels(qat_model) == []
    qat_model.compile(optimizer="adam", loss="mse")
    # Training sets the ranges; the target is irrelevant.
    qat_model.fit(x, np.zeros((16, 8, 8, 8), "float32"), batch_size=1, verbose=0)
    snap_biases_to_integer_grid(qat_model)
    tflite_model = convert_default(qat_model)
    step = output_step(interpreter_for(tflite_model))
    # XNNPACK requantizes in float32 like the fake-quant model (TFLite's own
    # kernels round twice). Measured: 99.9% exact; with tfmot's float kernels 99.0%.
    differences = xnnpack_differences_in_steps(tflite_model, qat_model, x[:4], step)
    assert np.mean(differences < 0.5) >= 0.995, np.mean(differences < 0.5)


def xnnpack_differences_in_steps(tflite_model, qat_model, samples, step):
    xnnpack = Interpreter(model_content=tflite_model, num_threads=1)
    xnnpack.allocate_tensors()
    return np.concatenate([
        np.abs(run(xnnpack, sample[None]) - np.asarray(qat_model(sample[None], training=False)))
        for sample in samples
    ]) / step


def test_mobilenet_v3_squeeze_excite_convolutions_are_quantized():
    from keras_psa.models import build_segmentation_model
    from keras_psa.quantization import quantize_model

    model = build_segmentation_model("mobilenet_v3_small", 3, input_shape=(32, 32, 3),
                                     head="lraspp", head_filters=8, alpha=0.75)
    qat_model = quantize_model(model)
    se_convolutions = [layer.name for layer in qat_model.layers
                       if layer.name.endswith("squeeze_excite/Conv")]
    assert len(se_convolutions) >= 6, se_convolutions
    assert unquantized_kernels(qat_model) == []


@pytest.mark.parametrize("disable_per_axis", [False, True])
def test_per_tensor_option_reaches_the_relu_transform(disable_per_axis):
    import tensorflow_model_optimization as tfmot

    from keras_psa.quantization.psa_quantize_scheme import PSAQuantizeScheme
    from keras_psa.quantization.quantize_model import quantize_scope

    annotated = tfmot.quantization.keras.quantize_annotate_model(relu_after_each_weighted_layer())
    with quantize_scope():
        qat_model = tfmot.quantization.keras.quantize_apply(
            annotated, scheme=PSAQuantizeScheme(disable_per_axis=disable_per_axis))
    conv = next(layer for layer in qat_model.layers
                if type(getattr(layer, "layer", None)).__name__ == "Conv2D")
    kernel_range = conv._weight_vars[0][2]["max_var"]
    assert kernel_range.shape == (() if disable_per_axis else (16,))


def relu_after_elementwise(kind):
    """MobileNetV3's hard-sigmoid `ReLU(6)(x + 3) * (1 / 6)`, or a ReLU after `x * c` or
    after a Multiply layer: ops the converter fuses the ReLU into."""
    inputs = keras.Input((8, 8, 4), batch_size=1)
    x = keras.layers.Conv2D(8, 1)(inputs)
    if kind == "hard_sigmoid":
        y = keras.layers.Multiply()([x, keras.layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)])
    elif kind == "scalar_multiply":
        y = keras.layers.ReLU()(x * 0.5)
    else:
        y = keras.layers.ReLU()(keras.layers.Multiply()([x, x]))
    return keras.Model(inputs, keras.layers.Conv2D(4, 1)(y))


@pytest.mark.parametrize("kind", ["hard_sigmoid", "scalar_multiply", "multiply"])
def test_no_fake_quant_between_an_elementwise_op_and_its_relu(kind):
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization import snap_biases_to_integer_grid
    from tests.quantization.conftest import assert_int8_inside

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).uniform(-3, 3, (16, 8, 8, 4)).astype("float32")
    qat_model = quantize_model(relu_after_elementwise(kind))
    qat_model.compile(optimizer="adam", loss="mse")
    qat_model.fit(x, np.zeros((16, 8, 8, 4), "float32"), batch_size=16, epochs=50, verbose=0)
    snap_biases_to_integer_grid(qat_model)
    tflite_model = convert_default(qat_model)
    interpreter = interpreter_for(tflite_model)
    assert_int8_inside(interpreter)
    # The int8 op writes the ReLU's grid directly; with a fake-quant before the
    # ReLU the Keras model rounded twice. Measured: 100% exact; with tfmot's
    # transform 92.7% (hard-sigmoid), 81.3%, 50.9%.
    differences = xnnpack_differences_in_steps(tflite_model, qat_model, x[:4],
                                               output_step(interpreter))
    assert np.mean(differences < 0.5) >= 0.999, np.mean(differences < 0.5)
