"""Real runs on LiteRT's GPU accelerator (SwiftShader Vulkan on CPU-only machines)."""

import pytest

from keras_psa.export import convert_model
from keras_psa.export import run_gpu_accelerator
from tests.export.gpu_availability import require_gpu_run
from tests.export.tiny_models import argmax_net
from tests.export.tiny_models import conv_net

pytestmark = pytest.mark.flavor_independent


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_run")
    paths = {"conv": str(out / "conv.tflite"), "argmax": str(out / "argmax.tflite")}
    convert_model(conv_net(), paths["conv"], input_size=(16, 16))
    convert_model(argmax_net(), paths["argmax"], input_size=(16, 16))
    return paths


def test_float32_model_is_fully_accelerated_and_matches_cpu(models):
    result = run_gpu_accelerator(models["conv"], tolerance=1e-3)
    require_gpu_run(result)
    assert result.passed, result.summary()
    assert result.details["fully_accelerated"] is True
    assert max(result.details["relative_error"].values()) <= 1e-3


def test_unsupported_op_is_reported_from_the_delegate_log(models):
    result = run_gpu_accelerator(models["argmax"])
    require_gpu_run(result)
    assert result.status == "failed"
    assert result.details["fully_accelerated"] is False
    assert [issue.op_name for issue in result.issues] == ["ARG_MAX"]


def test_missing_vulkan_device_is_unavailable_not_failed(models, tmp_path):
    result = run_gpu_accelerator(models["conv"], icd_file=str(tmp_path / "no_such_icd.json"))
    assert result.status == "unavailable", result.summary()
