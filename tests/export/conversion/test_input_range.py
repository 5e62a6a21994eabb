"""The pixel range of int8 calibration and parity comes from the model, never a silent guess.

The trap this guards against: a package model takes raw RGB 0..255 (its
`Rescaling` maps that to [-1, 1]), but calibrating it on random [0, 1] images
gives an int8 file whose input grid spans [0, 1]: every real pixel above 1
clips, and a parity check on the same wrong images still passes.
"""

import numpy as np
import pytest

from keras_psa.data import validation_examples
from keras_psa.export import TFLiteGraph
from keras_psa.export import check_keras_parity
from keras_psa.export import convert_model
from keras_psa.export import representative_images
from keras_psa.export.conversion.input_range import model_input_range
from keras_psa.export.tflite.litert_runner import make_interpreter
from keras_psa.export.tflite.litert_runner import run_tflite
from keras_psa.keras_flavor import keras
from keras_psa.models import build_segmentation_model
from keras_psa.models.batch_norm_statistics import set_batch_norm_statistics
from tests.export.tiny_models import conv_net

SIZE = 32


@pytest.fixture(scope="module")
def segmenter():
    keras.utils.set_random_seed(0)
    model = build_segmentation_model("mobilenet_v3_small", 11, input_shape=(SIZE, SIZE, 3),
                                     alpha=0.35, head_filters=8, attention="psa_p")
    images, _ = validation_examples("digits", SIZE, count=16, seed=0)
    set_batch_norm_statistics(model, images)
    return model, images


def test_package_models_say_they_take_0_to_255(segmenter):
    model, _ = segmenter
    assert model_input_range(model) == (0.0, 255.0)


@pytest.mark.parametrize("scale, offset, expected", [(1 / 255, 0.0, (0.0, 255.0)),
                                                     (1 / 127.5, -1.0, (0.0, 255.0)),
                                                     (2.0, -1.0, (0.0, 1.0))])
def test_rescaling_at_the_input_gives_the_range(scale, offset, expected):
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Rescaling(scale, offset=offset)(inputs)
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1)(x))
    assert model_input_range(model) == pytest.approx(expected)


def test_a_model_without_rescaling_has_no_known_range():
    assert model_input_range(conv_net()) is None


@pytest.mark.slow
def test_default_int8_calibration_covers_the_pixels_the_model_takes(segmenter, tmp_path):
    model, images = segmenter
    path = tmp_path / "int8.tflite"
    # The case of the report: default representative ("random"), no pixel range.
    convert_model(model, path, "int8", num_calibration_samples=8)
    # Float I/O: the input's int8 grid is the output of the first QUANTIZE.
    quantize = next(op for op in TFLiteGraph(path.read_bytes()).ops if op.name == "QUANTIZE")
    details = {d["index"]: d for d in make_interpreter(path).get_tensor_details()}
    scale, zero_point = details[quantize.outputs[0].index]["quantization"]
    low, high = (-128 - zero_point) * scale, (127 - zero_point) * scale
    assert low <= 1.0 and high >= 250.0, (low, high)
    # Parity is judged on random images in the same, real range...
    result = check_keras_parity(model, path, num_inputs=2)
    assert "(0.0, 255.0) (model)" in result.details["inputs"]
    # On real images its labels follow Keras' far better than those of a file
    # calibrated the old way, on [0, 1] noise (given as images, used as they are).
    rng = np.random.default_rng(0)
    old_way = tmp_path / "int8_0_1.tflite"
    convert_model(model, old_way, "int8", num_calibration_samples=8, representative=[
        rng.uniform(0, 1, (SIZE, SIZE, 3)).astype("float32") for _ in range(8)])
    expected = np.argmax(np.asarray(model(images, training=False)), -1)

    def agreement(file):
        labels = [np.argmax(run_tflite(file, image[None])[0], -1) for image in images]
        return float(np.mean(np.concatenate(labels) == expected))

    assert agreement(path) >= agreement(old_way) + 0.1, (agreement(path), agreement(old_way))


def test_a_foreign_model_on_random_images_needs_a_pixel_range(tmp_path):
    path = tmp_path / "foreign.tflite"
    with pytest.raises(ValueError, match="`pixel_range` must be given"):
        convert_model(conv_net(), path, "int8", input_size=(16, 16), num_calibration_samples=2)
    assert not path.exists()


def test_a_range_that_contradicts_the_models_rescaling_is_refused(segmenter, tmp_path):
    model, _ = segmenter
    path = tmp_path / "wrong.tflite"
    with pytest.raises(ValueError, match=r"0\.\.255"):
        convert_model(model, path, "int8", pixel_range=(0.0, 1.0), num_calibration_samples=2)
    assert not path.exists()


def test_random_representative_images_need_a_range():
    with pytest.raises(ValueError, match="pixel_range"):
        next(representative_images("random", (8, 8), 3, num_samples=1))


def test_named_datasets_are_rescaled_to_the_given_range():
    images = np.concatenate(list(representative_images("digits", (16, 16), 3, num_samples=4,
                                                       pixel_range=(-1.0, 1.0))))
    plain = np.concatenate(list(representative_images("digits", (16, 16), 3, num_samples=4)))
    assert plain.max() > 1.5 and images.min() >= -1.0 and images.max() <= 1.0
    np.testing.assert_allclose(images, plain / 127.5 - 1.0, atol=1e-5)
