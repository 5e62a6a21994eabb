import pytest

from keras_psa.export import check_gpu_compatibility
from keras_psa.export import convert_model
from tests.export.tiny_models import argmax_net
from tests.export.tiny_models import conv_net
from tests.export.tiny_models import runtime_reshape_net
from tests.export.tiny_models import six_dim_net

pytestmark = pytest.mark.flavor_independent


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_static")
    paths = {
        "conv_float32": out / "conv_float32.tflite",
        "conv_float16": out / "conv_float16.tflite",
        "conv_int8": out / "conv_int8.tflite",
        "argmax": out / "argmax.tflite",
        "six_dim": out / "six_dim.tflite",
        "runtime_reshape": out / "runtime_reshape.tflite",
    }
    convert_model(conv_net(), paths["conv_float32"], input_size=(16, 16))
    convert_model(conv_net(), paths["conv_float16"], "float16", input_size=(16, 16))
    convert_model(conv_net(), paths["conv_int8"], "int8", input_size=(16, 16),
                  num_calibration_samples=4, pixel_range=(0.0, 1.0))
    convert_model(argmax_net(), paths["argmax"], input_size=(16, 16))
    convert_model(six_dim_net(), paths["six_dim"])
    # Without the static-batch rebuild the reshape's shape is computed at run time.
    convert_model(runtime_reshape_net(), paths["runtime_reshape"], static_batch=False)
    return {k: str(v) for k, v in paths.items()}


@pytest.mark.parametrize("name", ["conv_float32", "conv_float16", "conv_int8"])
def test_supported_models_pass(models, name):
    result = check_gpu_compatibility(models[name])
    assert result.passed, result.summary()
    assert not result.issues


def test_argmax_int64_is_rejected_and_named(models):
    result = check_gpu_compatibility(models["argmax"])
    assert result.status == "failed"
    names = [issue.op_name for issue in result.issues]
    assert names == ["ARG_MAX"]
    assert "INT64" in result.issues[0].reason


def test_six_dim_reshape_is_rejected_and_named(models):
    result = check_gpu_compatibility(models["six_dim"])
    assert result.status == "failed"
    assert {"RESHAPE"} <= {issue.op_name for issue in result.issues}
    assert any("6-D" in issue.reason for issue in result.issues)


def test_runtime_reshape_shape_is_rejected(models):
    result = check_gpu_compatibility(models["runtime_reshape"])
    reasons = {issue.op_name: issue.reason for issue in result.issues}
    assert "RESHAPE" in reasons and "run time" in reasons["RESHAPE"]
    assert "SHAPE" in reasons  # not in the GPU delegate's op set


def test_bad_file_is_named(tmp_path):
    path = tmp_path / "empty.tflite"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.tflite"):
        check_gpu_compatibility(str(path))
