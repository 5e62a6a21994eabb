"""Every export path a Keras user takes gives an edge-clean file: one model per head and path.

No SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (DeepLabV3+'s atrous convolutions stay
dilated DEPTHWISE_CONV_2D ops), the GPU delegate's static rules, XNNPACK in one
partition and Keras parity; and Keras 3's own `model.export(format="litert")` of a
DeepLabV3+ PSA model passes `keras-psa-check --gpu --xnnpack`.
"""

import functools
import json
import os
import subprocess

import pytest

from keras_psa.export import check_gpu_compatibility
from keras_psa.export import check_keras_parity
from keras_psa.export import check_xnnpack_delegation
from keras_psa.export import xnnpack_float_fallback
from keras_psa.export.conversion.export_paths import check_no_space_to_batch
from keras_psa.export.conversion.export_paths import export_by_path
from keras_psa.keras_flavor import keras
from keras_psa.models import build_segmentation_model
from tests.installed_tools import tool

pytestmark = pytest.mark.slow

CHECK = tool("keras-psa-check")


@functools.lru_cache(maxsize=4)
def _build(head, attention, backbone, batch_size):
    # Shared by the tests of one head: no export path changes its model.
    keras.utils.set_random_seed(0)
    return build_segmentation_model(
        backbone, 3, input_shape=(32, 32, 3), head=head, attention=attention,
        alpha=0.35, head_filters=16, batch_size=batch_size)


def builder(head, attention, backbone="mobilenet_v3_small"):
    return functools.partial(_build, head, attention, backbone)


def assert_edge_clean(keras_model, path, head, **parity):
    no_space_to_batch = check_no_space_to_batch(path)
    assert no_space_to_batch.passed, no_space_to_batch.summary()
    if head == "deeplabv3plus":  # the three ASPP rates, one dilated op each
        assert no_space_to_batch.details["num_dilated_convolutions"] == 3
    gpu = check_gpu_compatibility(path)
    assert gpu.passed, gpu.summary()
    xnnpack = check_xnnpack_delegation(path)
    assert xnnpack.passed, xnnpack.summary()
    assert xnnpack.details["num_partitions"] == 1
    parity_result = check_keras_parity(keras_model, path, num_inputs=2,
                                       pixel_range=(0.0, 255.0), **parity)
    if parity_result.details["quantization"] != "int8":
        assert parity_result.passed, parity_result.summary()
        return
    # Random images cannot judge an int8 file's labels; its int8 steps still hold.
    assert parity_result.status == "not judged", parity_result.summary()
    if "steps_threshold" in parity_result.details:
        details = parity_result.details
        assert details["share_within_int8_steps"] >= details["steps_threshold"]


@pytest.mark.keras3_only
@pytest.mark.parametrize("path", ["convert_model", "keras_export", "tflite_static",
                                  "tflite_dynamic"])
@pytest.mark.parametrize("head", ["lraspp", "deeplabv3plus", "fpn"])
def test_float_export_path_is_edge_clean(head, path, tmp_path):
    tflite_path = tmp_path / "model.tflite"
    keras_model = export_by_path(builder(head, "psa_s"), path, "float32", tflite_path)
    assert_edge_clean(keras_model, tflite_path, head)


@pytest.mark.tf_keras_only
def test_qat_export_paths_of_deeplabv3plus_psa_are_edge_clean(tmp_path):
    # DeepLabV3+ only: LR-ASPP has no atrous convolution, and its QAT path is
    # tests/quantization/test_end_to_end.py's (QAT of a whole model takes minutes
    # on 2 cores). One QAT model gives both files, as keras-psa-qat ships them:
    # the all-int8 GPU/NPU file ("qat") and the CPU file ("qat_xnnpack").
    gpu_path = tmp_path / "qat_int8.tflite"
    qat_model = export_by_path(builder("deeplabv3plus", "psa_s"), "qat", "int8", gpu_path)
    for check in (check_no_space_to_batch(gpu_path), check_gpu_compatibility(gpu_path)):
        assert check.passed, check.summary()
    # XNNPACK has no int8 SOFTMAX / RSQRT: the all-int8 file leaves them out...
    assert not check_xnnpack_delegation(gpu_path).passed
    cpu_path = tmp_path / "qat_int8_xnnpack.tflite"
    data, moved = xnnpack_float_fallback(gpu_path.read_bytes())
    cpu_path.write_bytes(data)
    # ... and the CPU file runs exactly those in float, in one XNNPACK partition.
    assert "SOFTMAX" in moved
    assert_edge_clean(qat_model, cpu_path, "deeplabv3plus", int8_steps=1)
    parity = check_keras_parity(qat_model, gpu_path, num_inputs=2, pixel_range=(0.0, 255.0),
                                int8_steps=1)
    # Random images cannot judge an int8 file's labels; its int8 steps still hold.
    assert parity.status == "not judged", parity.summary()
    assert parity.details["share_within_int8_steps"] >= parity.details["steps_threshold"]


def test_export_path_and_mode_are_checked(tmp_path):
    with pytest.raises(ValueError, match="`export_path` must be one of"):
        export_by_path(builder("lraspp", None), "onnx", "float32", tmp_path / "m.tflite")
    with pytest.raises(ValueError, match="`mode` must be one of"):
        export_by_path(builder("lraspp", None), "tflite_static", "int8", tmp_path / "m.tflite")
    assert not (tmp_path / "m.tflite").exists()


@pytest.mark.keras3_only
def test_keras_export_of_deeplabv3plus_psa_passes_check_cli(tmp_path):
    # The user's own call, dynamic batch, in the scope the layer's docs name (what makes it
    # one dilated op where TensorFlow's CPU kernel lacks dilations), then the package's CLI.
    from keras_psa.layers import native_dilation_scope

    model = builder("deeplabv3plus", "psa_s")(None)
    path = tmp_path / "model.tflite"
    with native_dilation_scope():
        model.export(str(path), format="litert", verbose=False)
    result = subprocess.run([CHECK, str(path), "--gpu", "--xnnpack", "--json"],
                            capture_output=True, text=True, timeout=600, check=False)
    statuses = {c["name"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    if statuses.get("gpu_run") == "unavailable" and not os.environ.get("CI"):
        pytest.skip("no Vulkan device here (CI installs SwiftShader)")
    assert result.returncode == 0, result.stdout[-3000:]
    assert statuses == {"gpu_static": "passed", "gpu_run": "passed", "xnnpack": "passed"}
