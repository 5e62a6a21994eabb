"""A sigmoid heatmap model's int8 file: TFLite's int8 LOGISTIC writes onto a fixed 1/256 grid,
so its parity with fake-quant Keras is counted in steps of the logits the sigmoid reads."""

import numpy as np
import pytest

from keras_psa.export import check_keras_parity
from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.tflite.output_steps import output_grids
from keras_psa.keras_flavor import keras
from keras_psa.models import build_heatmap_model
from keras_psa.quantization import calibrate_quantization_ranges
from keras_psa.quantization import quantize_model
from keras_psa.quantization.qat_finetune import convert_qat_model
from tests.quantization.conftest import interpreter_for

pytestmark = [pytest.mark.tf_keras_only, pytest.mark.slow]


@pytest.fixture(scope="module")
def sigmoid_file(tmp_path_factory):
    keras.utils.set_random_seed(0)  # the same file whatever ran before in the process
    # PSA_p, the file these figures were written for (the builders now default to PSA_s).
    model = build_heatmap_model("mobilenet_v3_small", 4, input_shape=(64, 48, 3), alpha=0.35,
                                attention="psa_p",
                                head_filters=16, batch_size=1, activation="sigmoid")
    qat_model = quantize_model(model)
    images = np.random.default_rng(0).uniform(0, 255, (4, 64, 48, 3)).astype("float32")
    calibrate_quantization_ranges(qat_model, images)
    path = str(tmp_path_factory.mktemp("sigmoid") / "heatmaps_int8.tflite")
    convert_qat_model(qat_model, path)
    return qat_model, path, images


def test_the_grid_of_a_sigmoid_output_names_the_step_of_its_logits(sigmoid_file):
    _, path, _ = sigmoid_file
    (grid,) = output_grids(path).values()
    assert grid.step == pytest.approx(1 / 256) and grid.zero_point == -128
    with open(path, "rb") as file:
        interpreter = interpreter_for(file.read())
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()
    (dequantize,) = [op for op in ops if op["op_name"] == "DEQUANTIZE"
                     and tensors[int(op["inputs"][0])]["quantization"][0] == grid.step]
    (logistic,) = [op for op in ops if op["op_name"] == "LOGISTIC"
                   and int(op["outputs"][0]) == int(dequantize["inputs"][0])]
    logits_step = tensors[int(logistic["inputs"][0])]["quantization"][0]
    assert grid.sigmoid_input_step == pytest.approx(logits_step)
    assert logits_step * 0.25 > 1 / 256  # one logit step: several output steps


def test_parity_of_a_sigmoid_output_is_judged_in_logit_steps(sigmoid_file):
    qat_model, path, images = sigmoid_file
    result = check_keras_parity(qat_model, path, images=images, int8_steps=1)
    details = result.details
    assert details["steps_of"] == "the sigmoid's int8 logits"
    assert details["share_within_int8_steps"] >= details["share_within_output_steps"]
    assert result.passed == (details["share_within_int8_steps"] >= 0.99), result.summary()
    # The same outputs counted in output steps: what the logit measure adds is
    # what one logit step does on the steep part, nothing more.
    (grid,) = output_grids(path).values()
    expected = np.asarray(qat_model(images[:1], training=False))
    assert share_within_steps(expected, expected, grid.step, 0, grid.sigmoid_input_step) == 1.0
