import numpy as np
import pytest

from keras_psa.export import check_xnnpack_delegation
from keras_psa.export import convert_model
from tests.export.tiny_models import argmax_net
from tests.export.tiny_models import mobilenet_v3_head

pytestmark = pytest.mark.flavor_independent


@pytest.fixture(scope="module")
def mobilenet(tmp_path_factory):
    out = tmp_path_factory.mktemp("xnnpack")
    model = mobilenet_v3_head()
    paths = {
        "float32": out / "mnv3_float32.tflite",
        "int8": out / "mnv3_int8.tflite",
        "int8_all": out / "mnv3_int8_all.tflite",
    }
    convert_model(model, paths["float32"])
    # include_preprocessing=False: the model takes [-1, 1].
    convert_model(model, paths["int8"], "int8", num_calibration_samples=4,
                  pixel_range=(-1.0, 1.0))
    # Every op quantized, as a plain post-training int8 conversion does.
    convert_model(model, paths["int8_all"], "int8", num_calibration_samples=4, float_ops=(),
                  xnnpack_fallback=False, pixel_range=(-1.0, 1.0))
    return {k: str(v) for k, v in paths.items()}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["float32", "int8"])
def test_mobilenet_v3_fully_on_xnnpack(mobilenet, mode):
    result = check_xnnpack_delegation(mobilenet[mode])
    assert result.passed, result.summary()
    assert result.details["num_partitions"] == 1


@pytest.mark.slow
def test_plain_int8_hard_swish_is_named(mobilenet):
    result = check_xnnpack_delegation(mobilenet["int8_all"])
    assert result.status == "failed"
    assert {issue.op_name for issue in result.issues} == {"HARD_SWISH"}
    assert result.details["num_partitions"] > 1


def test_float_arg_max_is_not_taken(tmp_path):
    path = tmp_path / "argmax.tflite"
    convert_model(argmax_net(), path, input_size=(8, 8))
    result = check_xnnpack_delegation(str(path))
    assert result.status == "failed"
    assert [issue.op_name for issue in result.issues] == ["ARG_MAX"]


@pytest.mark.slow
@pytest.mark.keras3_only
def test_decomposed_hard_swish_makes_mobilenet_v3_all_int8_on_xnnpack(tmp_path):
    from keras_psa.export import TFLiteGraph
    from keras_psa.models import set_batch_norm_statistics

    model = mobilenet_v3_head()
    images = np.random.default_rng(0).uniform(-1, 1, (8, 64, 64, 3)).astype("float32")
    # Trained-like activation ranges: untrained ones shrink to 1e-8, and XNNPACK
    # refuses int8 ops whose scales are that far apart.
    set_batch_norm_statistics(model, images)
    path = tmp_path / "mnv3_int8_decomposed.tflite"
    convert_model(model, path, "int8", representative=list(images[:, None]),
                  num_calibration_samples=8, pixel_range=(-1.0, 1.0),
                  decompose_hard_swish=True)
    graph = TFLiteGraph.from_file(str(path))
    names = [op.name for op in graph.ops]
    assert "HARD_SWISH" not in names
    float_ops = [op.name for op in graph.ops if op.outputs[0].dtype != "INT8"]
    assert float_ops == ["DEQUANTIZE"], float_ops  # only the float output
    result = check_xnnpack_delegation(str(path))
    assert result.passed, result.summary()
    assert result.details["num_partitions"] == 1


def test_decompose_hard_swish_must_be_a_bool():
    with pytest.raises(TypeError, match="decompose_hard_swish"):
        convert_model(argmax_net(), None, "int8", decompose_hard_swish="yes")
