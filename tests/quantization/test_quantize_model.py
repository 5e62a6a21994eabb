"""QAT of PSA models ends in an all-int8 TFLite model that matches the Keras fake-quant model."""

import numpy as np
import pytest

from keras_psa import ChannelPolarizedAttention
from keras_psa import PolarizedSelfAttention
from keras_psa import SpatialPolarizedAttention
from keras_psa.keras_flavor import keras
from tests.quantization.conftest import assert_int8_inside
from tests.quantization.conftest import convert_default
from tests.quantization.conftest import fit_briefly
from tests.quantization.conftest import fraction_within_one_step
from tests.quantization.conftest import interpreter_for
from tests.quantization.conftest import tiny_model

pytestmark = pytest.mark.tf_keras_only

VARIANTS_AND_LAYOUTS = [
    ("paper", "parallel"),
    ("paper", "sequential"),
    ("official", "parallel"),
    ("official", "sequential"),
]


def quantized_tiny_model(attention):
    from keras_psa.quantization import quantize_model

    keras.utils.set_random_seed(0)
    return quantize_model(tiny_model(attention))


@pytest.mark.parametrize("variant, layout", VARIANTS_AND_LAYOUTS)
def test_psa_qat_trains_and_converts_to_int8(variant, layout):
    model = quantized_tiny_model(PolarizedSelfAttention(layout=layout, variant=variant))
    psa = next(layer for layer in model.layers if "polarized_self_attention" in layer.name)
    before = [w.numpy().copy() for w in psa.trainable_weights]
    losses, x = fit_briefly(model)
    assert np.all(np.isfinite(losses))
    after = [w.numpy() for w in psa.trainable_weights]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after)), "PSA did not train"
    range_names = [w.name for w in psa.weights if w.name.endswith("_max:0")]
    assert any("channel_attention/query_max" in name for name in range_names), range_names

    interpreter = interpreter_for(convert_default(model))
    names = assert_int8_inside(interpreter)
    assert "SOFTMAX" in names and "LOGISTIC" in names
    within, step, differences = fraction_within_one_step(interpreter, model, x[:4])
    assert within >= 0.99, (within, step, differences.max())


@pytest.mark.parametrize("cls", [ChannelPolarizedAttention, SpatialPolarizedAttention])
@pytest.mark.parametrize("variant, layout", [("paper", "parallel"), ("official", "sequential")])
def test_branch_layers_convert_to_int8(cls, variant, layout):
    model = quantized_tiny_model(cls(layout=layout, variant=variant))
    fit_briefly(model, steps=4)
    interpreter = interpreter_for(convert_default(model))
    assert_int8_inside(interpreter)
    within, _, _ = fraction_within_one_step(
        interpreter, model, np.random.default_rng(1).normal(size=(2, 16, 16, 16)).astype("f4")
    )
    assert within >= 0.99


def test_float_layer_has_no_quantizer_variables():
    layer = PolarizedSelfAttention()
    layer(np.zeros((1, 4, 4, 8), "float32"))
    assert not layer.activation_quantization_enabled
    assert not any("_max" in w.name for w in layer.weights)


def test_quantize_model_rejects_subclassed_models():
    from keras_psa.quantization import quantize_model

    class Subclassed(keras.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError, match="Functional or Sequential"):
        quantize_model(Subclassed())


@pytest.mark.parametrize("variant, layout", [("paper", "parallel"), ("official", "sequential")])
def test_qat_rounds_gates_to_tflites_fixed_grid_without_requantize(variant, layout):
    """Softmax and sigmoid outputs are int8 with scale 1/256 in TFLite: QAT trains on that."""
    from keras_psa.quantization.activation_quantizer import make_activation_quantizer

    x = np.random.default_rng(0).normal(size=(1, 8, 8, 16)).astype("float32")
    psa = PolarizedSelfAttention(layout=layout, variant=variant)
    psa(x)
    float_gates = [np.asarray(psa.channel_attention.channel_weights(x)),
                   np.asarray(psa.spatial_attention.spatial_weights(x))]
    assert any(np.abs(g * 256 - np.round(g * 256)).max() > 0.01 for g in float_gates)
    psa.enable_activation_quantization(make_activation_quantizer)
    psa(x, training=True)  # sets the learned ranges
    for gate in (psa.channel_attention.channel_weights(x, training=False),
                 psa.spatial_attention.spatial_weights(x, training=False)):
        levels = np.asarray(gate) * 256.0
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)

    model = quantized_tiny_model(PolarizedSelfAttention(layout=layout, variant=variant))
    fit_briefly(model, steps=2)
    names = assert_int8_inside(interpreter_for(convert_default(model)))
    # A range other than TFLite's fixed one would add int8 -> int8 QUANTIZE ops.
    assert names.count("QUANTIZE") == 1, names


def test_qat_keeps_the_input_scale_and_offset_of_the_float_model_exactly(tmp_path):
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization import quantize_scope

    # The package's models take 0..255 and rescale inside, as MobileNetV3 does.
    inputs = keras.Input((8, 8, 3), batch_size=1)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    x = keras.layers.Conv2D(4, 3, padding="same")(x)
    keras.utils.set_random_seed(0)
    model = quantize_model(keras.Model(inputs, x))
    def rescaling_of(qat_model):  # named "quant_rescaling", with a suffix after the first model
        return next(layer for layer in qat_model.layers
                    if layer.name.startswith("quant_rescaling"))

    rescaling = rescaling_of(model)
    kernel, bias = rescaling.weights[:2]  # tfmot trains these: they are its trainable weights
    assert any(w is kernel for w in model.trainable_weights)
    scale, offset = np.float32(1 / 127.5), np.float32(-1.0)

    def assert_float_scale(layer):
        kernel, bias = (w.numpy() for w in layer.weights[:2])
        assert np.array_equal(kernel.ravel(), np.full(3, scale)), kernel.ravel()
        assert np.array_equal(bias, np.full(3, offset)), bias

    # A high learning rate on pixels 0..255: without its constraints the scale moves
    # by tens of percent within a few steps.
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (16, 8, 8, 3)).astype("float32")
    targets = rng.normal(size=(16, 8, 8, 4)).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    model.fit(images, targets, batch_size=4, epochs=2, verbose=0)
    assert_float_scale(rescaling)
    # And after saving and reloading the QAT model (resumed fine-tuning).
    model.save(tmp_path / "qat.h5")
    with quantize_scope():
        reloaded = keras.models.load_model(tmp_path / "qat.h5")
    reloaded.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    reloaded.fit(images, targets, batch_size=4, epochs=1, verbose=0)
    assert_float_scale(rescaling_of(reloaded))
