"""Real runs on LiteRT's GPU accelerator (SwiftShader Vulkan on CPU-only machines)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_psa.export import check_gpu_compatibility
from keras_psa.export import convert_model
from keras_psa.export import run_gpu_accelerator
from keras_psa.export.checks.gpu_accelerator import ops_left_on_cpu
from keras_psa.export.checks.gpu_accelerator import parse_unsupported_ops
from tests.export.gpu_availability import require_gpu_run
from tests.export.tiny_models import argmax_net
from tests.export.tiny_models import conv_net

pytestmark = pytest.mark.flavor_independent


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_run")
    paths = {"conv": str(out / "conv.tflite"), "argmax": str(out / "argmax.tflite"),
             "conv_int8": str(out / "conv_int8.tflite")}
    convert_model(conv_net(), paths["conv"], input_size=(16, 16))
    convert_model(conv_net(), paths["conv_int8"], input_size=(16, 16), quantization="int8",
                  representative="random", num_calibration_samples=8, pixel_range=(0.0, 1.0))
    convert_model(argmax_net(), paths["argmax"], input_size=(16, 16))
    paths["heatmaps"] = str(out / "heatmaps.tflite")
    convert_model(conv_net(), paths["heatmaps"], input_size=(16, 16), metadata="heatmap",
                  keypoint_names="nose,eye,ear,hip", pixel_range=(0.0, 1.0))
    return paths


def test_gpu_and_parity_compare_a_heatmap_file_by_its_peaks(models):
    from keras_psa.export import check_keras_parity

    result = run_gpu_accelerator(models["heatmaps"], tolerance=1e-3)
    require_gpu_run(result)
    assert result.passed, result.summary()
    assert "label_agreement" not in result.details
    assert list(result.details["peak_agreement"].values()) == [1.0]
    assert list(run_gpu_accelerator(models["conv"]).details["label_agreement"].values()) == [1.0]
    parity = check_keras_parity(conv_net(), models["heatmaps"], num_inputs=2,
                                pixel_range=(0.0, 1.0))
    assert parity.details["peak_agreement"] == 1.0 and "label_agreement" not in parity.details


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


def test_int8_outputs_are_compared_in_quantization_steps(models):
    from keras_psa.export.tflite.output_steps import output_steps

    (float_step,) = output_steps(models["conv"]).values()
    (int8_step,) = output_steps(models["conv_int8"]).values()
    assert float_step is None and int8_step > 0
    # The random inputs stand in for the images this toy model was calibrated on.
    result = run_gpu_accelerator(models["conv_int8"], tolerance=0.0, real_inputs=True)
    require_gpu_run(result)
    # tolerance=0 would fail any max-based comparison; int8 outputs are judged by
    # labels, their steps beside the floor (builtin kernels vs XNNPACK).
    (share,) = result.details["share_within_int8_steps"].values()
    (floor,) = result.details["cpu_backends_share_within_int8_steps"].values()
    assert share >= 0.99 and 0.0 <= floor <= 1.0 and result.passed, result.summary()
    strict = run_gpu_accelerator(models["conv_int8"], int8_steps=0, int8_share=1.0,
                                 real_inputs=True)
    (share,) = strict.details["share_within_int8_steps"].values()
    (floor,) = strict.details["cpu_backends_share_within_int8_steps"].values()
    labels_agree = min(strict.details["label_agreement"].values()) >= 0.99
    # The labels decide; no share within 0 steps (exact) is asked of the GPU. The
    # steps stand beside their floor as a diagnostic.
    assert share < 1.0 and strict.passed == labels_agree, strict.summary()
    assert f"{share:.2%} within 0 int8 step(s) (floor {floor:.2%}; diagnostic)" in \
        strict.message, strict.message


def test_an_int8_file_on_random_inputs_is_not_judged(models):
    result = run_gpu_accelerator(models["conv_int8"])
    require_gpu_run(result)
    assert result.status == "not judged", result.summary()
    assert "not judged on real images" in result.message
    assert result.details["inputs"] == "random inputs"
    # A float file computes the same on any range: random inputs judge it.
    assert run_gpu_accelerator(models["conv"]).status == "passed"


def test_share_within_steps_counts_elements_not_the_worst_one():
    from keras_psa.export.checks.error_measures import share_within_steps

    expected = np.zeros(100)
    actual = expected.copy()
    actual[0] = 50.0  # one outlier of 50 steps
    actual[1:5] = 3.0
    assert share_within_steps(actual, expected, step=1.0, steps=3) == 0.99
    assert share_within_steps(actual, expected, step=1.0, steps=2) == 0.95
    with pytest.raises(ValueError, match="Shapes differ"):
        share_within_steps(actual[:5], expected, step=1.0, steps=3)


def test_ops_the_delegate_log_leaves_on_the_cpu_are_counted():
    # LiteRT 2.3's is_fully_accelerated() said True beside this line (a
    # DEQUANTIZE of a rank-0 constant); the check trusts the log too.
    log = ("ERROR: Following operations are not supported by GPU delegate:\n"
           "DEQUANTIZE: Unsupported dims for tensor: eps Got dims:0\n"
           "139 operations will run on the GPU, and the remaining 26 operations will run "
           "on the CPU.\n")
    assert ops_left_on_cpu(log) == 26
    assert [issue.op_name for issue in parse_unsupported_ops(log)] == ["DEQUANTIZE"]
    assert ops_left_on_cpu("12 operations will run on the GPU, and the remaining 0 "
                           "operations will run on the CPU.") == 0


def test_rank_0_tensor_is_refused_statically_and_on_the_gpu(tmp_path):
    class ScalarNet(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((1, 8, 8, 4), tf.float32, name="image")])
        def serve(self, image):
            return {"out": image + tf.reduce_max(image)}  # a 0-D runtime tensor

    module = ScalarNet()
    path = tmp_path / "scalar.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_concrete_functions(
        [module.serve.get_concrete_function()], module).convert())
    static = check_gpu_compatibility(str(path))
    assert not static.passed
    assert any("0-D tensor" in issue.reason for issue in static.issues)
    result = run_gpu_accelerator(str(path))
    require_gpu_run(result)
    assert result.status == "failed" and result.details["fully_accelerated"] is False
