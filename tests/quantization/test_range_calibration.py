"""calibrate_quantization_ranges: activation ranges from data instead of tfmot's [-6, 6]."""

import numpy as np
import pytest

from keras_psa.keras_flavor import keras

pytestmark = pytest.mark.tf_keras_only


def conv_relu6(batch_norm=False):
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(8, 1, name="conv")(inputs)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(6.0, name="relu")(x)
    return keras.Model(inputs, keras.layers.Conv2D(4, 1, name="head")(x))


def relu_range(qat_model):
    variables = qat_model.get_layer("quant_relu")._output_quantizer_vars
    return float(variables["min_var"].numpy()), float(variables["max_var"].numpy())


def images(count, scale=1.0, seed=0):
    return (scale * np.random.default_rng(seed).uniform(0, 1, (count, 8, 8, 3))).astype("float32")


def test_ranges_become_the_batches_mean_range():
    from keras_psa.quantization import calibrate_quantization_ranges
    from keras_psa.quantization import quantize_model

    keras.utils.set_random_seed(0)
    model = conv_relu6()
    qat_model = quantize_model(model)
    assert relu_range(qat_model) == (-6.0, 6.0)  # tfmot's start
    batches = [images(4, 0.5, seed=1), images(4, 1.0, seed=2)]
    relu = keras.Model(model.input, model.get_layer("relu").output)
    maxima = [float(np.max(relu(batch))) for batch in batches]
    assert maxima[0] < 0.9 * maxima[1]  # two different ranges to average

    count = calibrate_quantization_ranges(qat_model, np.concatenate(batches), batch_size=4)
    low, high = relu_range(qat_model)
    assert count >= 2
    assert low == 0.0  # a ReLU output: no int8 level below zero
    # The mean of the two batches' maxima, up to the conv output's own rounding.
    assert high == pytest.approx(np.mean(maxima), rel=0.02), (high, maxima)


def test_batch_norm_statistics_stay_and_training_resumes_from_the_ranges():
    from keras_psa.quantization import calibrate_quantization_ranges
    from keras_psa.quantization import quantize_model

    keras.utils.set_random_seed(0)
    qat_model = quantize_model(conv_relu6(batch_norm=True))
    statistics = {w.name: w.numpy() for w in qat_model.non_trainable_weights
                  if "moving_" in w.name}
    assert statistics
    calibrate_quantization_ranges(qat_model, images(8, 3.0))
    for weight in qat_model.non_trainable_weights:
        if weight.name in statistics:
            np.testing.assert_array_equal(weight.numpy(), statistics[weight.name])
    low, high = relu_range(qat_model)
    assert low == 0.0 and 0.0 < high < 6.0
    # Fine-tuning goes on from there with tfmot's own 0.999 average.
    qat_model.compile(optimizer="adam", loss="mse")
    qat_model.fit(images(8, 3.0), np.zeros((8, 8, 8, 4), "float32"), batch_size=8, verbose=0)
    assert relu_range(qat_model)[1] == pytest.approx(high, rel=0.01)
    assert type(qat_model.get_layer("quant_relu")._output_quantizers[0]).__name__ == (
        "MovingAverageQuantizer")


@pytest.mark.parametrize("bad, match", [
    (np.zeros((0, 8, 8, 3), "float32"), "`images` must be"),
    (np.zeros((8, 8, 3), "float32"), "`images` must be"),
])
def test_bad_images_are_named(bad, match):
    from keras_psa.quantization import calibrate_quantization_ranges
    from keras_psa.quantization import quantize_model

    qat_model = quantize_model(conv_relu6())
    before = relu_range(qat_model)
    with pytest.raises(ValueError, match=match):
        calibrate_quantization_ranges(qat_model, bad)
    assert relu_range(qat_model) == before


def test_a_float_model_is_refused():
    from keras_psa.quantization import calibrate_quantization_ranges

    with pytest.raises(ValueError, match="quantize_model"):
        calibrate_quantization_ranges(conv_relu6(), images(2))
    with pytest.raises(ValueError, match="batch_size"):
        calibrate_quantization_ranges(conv_relu6(), images(2), batch_size=0)


def test_a_range_the_images_give_no_width_keeps_its_initial_one(tmp_path):
    """A dead ReLU calibrates to [0, 0]; converted, an int8 step of ~1e-9 made LiteRT 2.3's
    XNNPACK delegate crash the process on loading ("double free or corruption")."""
    import subprocess
    import sys

    from keras_psa.models import build_heatmap_model
    from keras_psa.quantization import calibrate_quantization_ranges
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization.qat_finetune import convert_qat_model
    from keras_psa.quantization.range_calibration import MIN_RANGE_WIDTH
    from keras_psa.quantization.range_calibration import _moving_average_quantizers

    keras.utils.set_random_seed(4)  # this untrained model's first squeeze-excite ReLU stays 0
    model = build_heatmap_model("mobilenet_v3_small", 4, input_shape=(64, 48, 3), alpha=0.35,
                                head_filters=16, batch_size=1)
    qat_model = quantize_model(model)
    dead = qat_model.get_layer("quant_expanded_conv/squeeze_excite/Relu")
    before = [v.numpy() for v in dead._output_quantizer_vars.values()]
    inputs = np.random.default_rng(0).uniform(0, 255, (4, 64, 48, 3)).astype("float32")
    calibrate_quantization_ranges(qat_model, inputs)
    assert [v.numpy() for v in dead._output_quantizer_vars.values()] == before
    widths = [np.min(v["max_var"].numpy() - v["min_var"].numpy())
              for _, v in _moving_average_quantizers(qat_model)]
    assert min(widths) >= MIN_RANGE_WIDTH
    path = str(tmp_path / "heatmaps_int8.tflite")
    convert_qat_model(qat_model, path)
    load = ("from keras_psa.export.tflite.litert_runner import make_interpreter; "
            f"make_interpreter({path!r}, xnnpack=True)")
    child = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True,
                           timeout=120, check=False)
    assert child.returncode == 0, child.stderr[-2000:]
