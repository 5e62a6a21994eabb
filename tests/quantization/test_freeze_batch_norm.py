"""freeze_batch_norm: the QAT fine-tune trains under the float model's BatchNorm statistics."""

import numpy as np
import pytest

from keras_psa.keras_flavor import keras

pytestmark = pytest.mark.tf_keras_only


def conv_bn_relu():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(6.0, name="relu")(x)
    return keras.Model(inputs, keras.layers.Conv2D(4, 1, name="head")(x))


def batch_norm(qat_model):
    return qat_model.get_layer("quant_bn").layer


def conv_kernel(qat_model):
    # tfmot puts the fake-quant tensor in place of `layer.kernel`: the variable itself.
    wrapper = qat_model.get_layer("quant_conv")
    return next(w for w in wrapper.trainable_weights if "kernel" in w.name).numpy().copy()


def fit(qat_model, seed=0):
    rng = np.random.default_rng(seed)
    # Inputs far from the statistics the layer starts with (mean 0, variance 1).
    x = (5.0 + 3.0 * rng.normal(size=(16, 8, 8, 3))).astype("float32")
    y = rng.normal(size=(16, 8, 8, 4)).astype("float32")
    qat_model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    qat_model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    return x


def test_frozen_batch_norm_keeps_statistics_scale_and_offset_while_the_kernels_train():
    from keras_psa.quantization.qat_finetune import quantize_with_frozen_batch_norm

    keras.utils.set_random_seed(0)
    float_model = conv_bn_relu()
    qat_model, count = quantize_with_frozen_batch_norm(float_model)
    assert count == 1
    assert float_model.get_layer("bn").trainable  # the float model is left as it was
    before = [w.numpy().copy() for w in batch_norm(qat_model).weights]
    kernel = conv_kernel(qat_model)
    x = fit(qat_model)
    for value, weight in zip(before, batch_norm(qat_model).weights):
        np.testing.assert_array_equal(weight.numpy(), value, err_msg=weight.name)
    assert not np.allclose(conv_kernel(qat_model), kernel)
    # Training mode normalizes with the moving statistics too: the same output.
    np.testing.assert_allclose(qat_model(x[:4], training=True), qat_model(x[:4], training=False),
                               atol=1e-5)


def test_trained_batch_norm_moves_its_statistics():
    # What freezing prevents: tfmot keeps BatchNorm as a layer that normalizes each
    # batch with its own statistics and moves the moving averages.
    from keras_psa.quantization import quantize_model

    keras.utils.set_random_seed(0)
    qat_model = quantize_model(conv_bn_relu())
    mean = batch_norm(qat_model).moving_mean.numpy().copy()
    fit(qat_model)
    assert not np.allclose(batch_norm(qat_model).moving_mean.numpy(), mean)


def test_frozen_is_the_default_and_the_cli_can_turn_it_off():
    from keras_psa.cli.qat import parse_args
    from keras_psa.quantization.qat_config import QATConfig

    assert QATConfig("run").freeze_batch_norm
    assert parse_args(["run"]).freeze_batch_norm
    assert not parse_args(["run", "--no-freeze-batch-norm"]).freeze_batch_norm


def test_config_refuses_a_non_bool():
    from keras_psa.quantization.qat_config import QATConfig

    with pytest.raises(ValueError, match="freeze_batch_norm"):
        QATConfig("run", freeze_batch_norm="yes").validate()
