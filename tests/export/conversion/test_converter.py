import os

import numpy as np
import pytest

from keras_psa.export import TFLiteGraph
from keras_psa.export import check_keras_parity
from keras_psa.export import convert_model
from keras_psa.export import infer_quantization_mode
from keras_psa.export import inspect_model
from keras_psa.export import run_tflite
from keras_psa.keras_flavor import keras
from tests.export.tiny_models import conv_net

# conv_net has no Rescaling: its test inputs are [0, 1] noise.
PIXEL_RANGE = (0.0, 1.0)
SIZE = 16


@pytest.fixture(scope="module")
def keras_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("keras") / "conv_net.keras"
    conv_net().save(path)
    return str(path)


@pytest.fixture(scope="module")
def converted(keras_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("tflite")
    paths = {}
    for mode in ("float32", "float16", "dynamic", "int8"):
        paths[mode] = str(out / f"conv_net_{mode}.tflite")
        convert_model(keras_path, paths[mode], quantization=mode, input_size=(SIZE, SIZE),
                      num_calibration_samples=8, pixel_range=PIXEL_RANGE)
    return paths


@pytest.mark.parametrize("mode", ["float32", "float16", "dynamic", "int8"])
def test_static_batch_one_and_fixed_size(converted, mode):
    graph = TFLiteGraph.from_file(converted[mode])
    assert graph.inputs[0].shape_signature == (1, SIZE, SIZE, 3)
    assert all(d > 0 for t in graph.tensors for d in t.shape_signature)


@pytest.mark.parametrize("mode", ["float32", "float16", "dynamic", "int8"])
def test_mode_is_visible_in_the_file(converted, mode):
    assert infer_quantization_mode(converted[mode]) == mode


def test_int8_activations_are_int8(converted):
    info = inspect_model(converted["int8"])
    assert info["tensor_dtypes"].get("INT8", 0) > info["tensor_dtypes"].get("FLOAT32", 0)
    assert info["inputs"][0]["dtype"] == "FLOAT32"  # float I/O unless int8_io


def test_float16_halves_the_size(converted):
    assert os.path.getsize(converted["float16"]) < 0.7 * os.path.getsize(converted["float32"])


@pytest.mark.parametrize("mode", ["float32", "float16", "dynamic", "int8"])
def test_parity_with_keras(keras_path, converted, mode):
    result = check_keras_parity(keras_path, converted[mode], num_inputs=2,
                                pixel_range=PIXEL_RANGE)
    # Random images cannot judge an int8 file's labels (tests/export/checks/test_verdict_rules).
    assert result.status == ("not judged" if mode == "int8" else "passed"), result.summary()
    if mode == "float32":
        assert max(result.details["relative_error"]) <= 1e-4


def test_parity_on_given_images(keras_path, converted):
    from keras_psa.export.checks.error_measures import relative_error
    from keras_psa.saving import load_model

    images = np.random.default_rng(5).random((3, SIZE, SIZE, 3), np.float32)
    result = check_keras_parity(keras_path, converted["int8"], images=images)
    assert result.details["num_inputs"] == 3 and result.details["inputs"] == "given images"
    # Given images are judged: this untrained net's near-tied labels decide the status.
    labels = result.details["label_agreement"]
    assert result.status == ("passed" if labels >= 0.99 else "failed"), result.summary()
    model = load_model(keras_path)
    expected = max(relative_error(run_tflite(converted["int8"], image[None])[0],
                                  np.asarray(model(image[None])))
                   for image in images)
    assert result.details["relative_error"] == pytest.approx([expected], rel=1e-5)


@pytest.mark.parametrize("shape", [(2, SIZE + 1, SIZE, 3), (SIZE, SIZE, 3), (0, SIZE, SIZE, 3)])
def test_parity_rejects_images_of_another_shape(keras_path, converted, shape):
    with pytest.raises(ValueError, match=r"`images` must be .*\(N, 16, 16, 3\)"):
        check_keras_parity(keras_path, converted["float32"], images=np.zeros(shape, "float32"))


def test_int8_io(tmp_path):
    path = tmp_path / "int8_io.tflite"
    convert_model(conv_net(), path, quantization="int8", input_size=(SIZE, SIZE),
                  num_calibration_samples=4, int8_io=True, pixel_range=(0.0, 1.0))
    graph = TFLiteGraph.from_file(path)
    assert graph.inputs[0].dtype == "INT8" and graph.outputs[0].dtype == "INT8"
    # run_tflite quantizes the float input and dequantizes the output.
    out = run_tflite(path, np.random.default_rng(0).random((1, SIZE, SIZE, 3), np.float32))
    assert out[0].dtype == np.float32 and out[0].shape == (1, SIZE, SIZE, 4)


def test_atomic_write_leaves_no_temporary_files(converted):
    folder = os.path.dirname(converted["float32"])
    assert not [f for f in os.listdir(folder) if f.startswith(".tmp_")]


def test_rejects_unknown_mode_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="quantization"):
        convert_model(conv_net(), quantization="int4")
    with pytest.raises(ValueError, match="int8_io"):
        convert_model(conv_net(), quantization="float16", int8_io=True)
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(ValueError, match="bogus.tflite"):
        TFLiteGraph.from_file(bogus)
    with pytest.raises(ValueError, match="input_size"):
        convert_model(conv_net(), quantization="float32")


@pytest.mark.flavor_independent  # tf_keras has no "hard_swish" activation
def test_int8_with_every_op_kept_float_names_float_ops(tmp_path):
    inputs = keras.Input((SIZE, SIZE, 3))
    model = keras.Model(inputs, keras.layers.Activation("hard_swish")(inputs))
    output = tmp_path / "hard_swish_int8.tflite"
    with pytest.raises(ValueError, match=r"no op to quantize.*float_ops=\(\)"):
        convert_model(model, output, quantization="int8", input_size=(SIZE, SIZE),
                      num_calibration_samples=2, pixel_range=PIXEL_RANGE)
    assert not output.exists()
    # Quantizing the op as it is works.
    convert_model(model, output, quantization="int8", input_size=(SIZE, SIZE),
                  num_calibration_samples=2, float_ops=(), pixel_range=PIXEL_RANGE)
    assert {op.name for op in TFLiteGraph.from_file(output).ops} >= {"HARD_SWISH"}
