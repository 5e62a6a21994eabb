"""The `--images` / `--pixel-range` flags shared by keras-psa-check and keras-psa-compile-npu."""

import numpy as np
import pytest
import tensorflow as tf

from keras_psa.cli import check
from keras_psa.cli import compile_npu
from keras_psa.cli.image_inputs import read_images

PARSERS = {"check": lambda extra: check.parse_args(["m.tflite", "--xnnpack", *extra]),
           "compile_npu": lambda extra: compile_npu.parse_args(
               ["m.tflite", "--target", "intel_openvino:LNL", *extra])}


@pytest.mark.parametrize("tool", sorted(PARSERS))
@pytest.mark.parametrize("pixel_range", [["1", "0"], ["3", "3"]])
def test_both_tools_refuse_a_pixel_range_that_is_not_low_high(tool, pixel_range, capsys):
    with pytest.raises(SystemExit) as exit_:
        PARSERS[tool](["--pixel-range", *pixel_range])
    assert exit_.value.code == 2
    assert "--pixel-range must be LOW HIGH with LOW < HIGH" in capsys.readouterr().err


@pytest.mark.parametrize("tool", sorted(PARSERS))
def test_both_tools_take_images_and_a_pixel_range(tool):
    args = PARSERS[tool](["--images", "digits", "--pixel-range", "-1", "1"])
    assert args.images == "digits"
    assert args.pixel_range == [-1.0, 1.0]


@pytest.fixture(scope="module")
def tiny_tflite(tmp_path_factory):
    @tf.function(input_signature=[tf.TensorSpec((1, 24, 20, 3), tf.float32)])
    def mean_pool(x):
        return tf.nn.avg_pool2d(x, 4, 4, "VALID")

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [mean_pool.get_concrete_function()], tf.Module())
    path = tmp_path_factory.mktemp("image_inputs") / "pool.tflite"
    path.write_bytes(converter.convert())
    return path


def test_read_images_gives_a_batch_at_the_model_input_size_in_the_pixel_range(tiny_tflite):
    images = read_images(str(tiny_tflite), "shapes", 3, (-1.0, 1.0))
    assert images.shape == (3, 24, 20, 3)
    assert images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.max() - images.min() > 0.5  # real pictures, not a constant


def test_read_images_names_an_unknown_source(tiny_tflite):
    with pytest.raises(ValueError, match="names no dataset"):
        read_images(str(tiny_tflite), "no_such_dataset", 2, (0.0, 255.0))
