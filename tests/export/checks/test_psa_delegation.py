"""PSA models pass every device check in float32 and int8: static GPU rules, the
real GPU accelerator run, 100% XNNPACK and Keras parity."""

import re

import pytest

from keras_psa.export import TFLiteGraph
from keras_psa.export import check_gpu_compatibility
from keras_psa.export import check_keras_parity
from keras_psa.export import check_xnnpack_delegation
from keras_psa.export import convert_model
from keras_psa.export import run_gpu_accelerator
from keras_psa.export.conversion.float_nodes import PSA_FLOAT_SCOPES
from keras_psa.export.conversion.quantization_mode import GPU_TOLERANCE
from keras_psa.export.conversion.quantization_mode import KERAS_TOLERANCE
from keras_psa.keras_flavor import keras
from keras_psa.layers import PolarizedSelfAttention
from keras_psa.models import build_segmentation_model
from tests.export.gpu_availability import require_gpu_run

MODES = ("float32", "int8")


@pytest.fixture(scope="module")
def segmentation(tmp_path_factory):
    """MobileNetV3-Small + DeepLabV3+ + official PSA_s (LayerNorm, softmax over
    H*W and the hand-written per-channel softmax), converted once per mode. Its
    int8 conversion also needs the XNNPACK fallback (an int8 ADD after the
    attention that XNNPACK refuses for its scales)."""
    keras.utils.set_random_seed(0)
    model = build_segmentation_model(
        "mobilenet_v3_small", 3, input_shape=(64, 64, 3), head="deeplabv3plus", attention="psa_s",
        psa_variant="official", alpha=0.35, batch_size=1)
    out = tmp_path_factory.mktemp("psa_segmentation")
    paths = {}
    for mode in MODES:
        paths[mode] = str(out / f"{mode}.tflite")
        convert_model(model, paths[mode], mode, num_calibration_samples=8,
                      pixel_range=(0.0, 255.0))
    return model, paths


@pytest.fixture(scope="module")
def psa_layer(tmp_path_factory):
    """PSA_p (paper) alone on 32x32 = 1024 positions, past int8 SOFTMAX's 1/256
    output step: int8 with the PSA scopes kept float, and plain int8."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 16), batch_size=1)
    x = keras.layers.Conv2D(16, 3, padding="same")(inputs)
    model = keras.Model(inputs, PolarizedSelfAttention("parallel", "paper")(x))
    out = tmp_path_factory.mktemp("psa_layer")
    paths = {"auto": str(out / "auto.tflite"), "plain": str(out / "plain.tflite")}
    convert_model(model, paths["auto"], "int8", num_calibration_samples=16,
                  pixel_range=(0.0, 1.0))
    convert_model(model, paths["plain"], "int8", num_calibration_samples=16, float_scopes=(),
                  xnnpack_fallback=False, pixel_range=(0.0, 1.0))
    return model, paths


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_psa_segmentation_model_passes_static_gpu_and_xnnpack(segmentation, mode):
    _, paths = segmentation
    static = check_gpu_compatibility(paths[mode])
    assert static.passed, static.summary()
    xnnpack = check_xnnpack_delegation(paths[mode])
    assert xnnpack.passed, xnnpack.summary()
    assert xnnpack.details["num_partitions"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_psa_segmentation_model_matches_keras(segmentation, mode):
    model, paths = segmentation
    result = check_keras_parity(model, paths[mode], num_inputs=2, pixel_range=(0.0, 255.0))
    # An untrained model on random images: an int8 file's labels are not judged
    # there; its largest error is still measured.
    assert result.status == ("not judged" if mode == "int8" else "passed"), result.summary()
    assert max(result.details["relative_error"]) <= KERAS_TOLERANCE[mode]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_psa_segmentation_model_runs_fully_on_the_gpu_accelerator(segmentation, mode):
    _, paths = segmentation
    result = run_gpu_accelerator(paths[mode], tolerance=GPU_TOLERANCE[mode])
    require_gpu_run(result)
    assert result.status == ("not judged" if mode == "int8" else "passed"), result.summary()
    assert result.details["fully_accelerated"] is True
    if mode == "int8":  # the step diagnostic holds beside its floor
        assert "not >=" not in result.message, result.summary()


def test_int8_keeps_psa_statistics_float_and_convolutions_int8(psa_layer):
    _, paths = psa_layer
    graph = TFLiteGraph.from_file(paths["auto"])
    in_scope = [op for op in graph.ops
                if any(re.search(s, op.outputs[0].name) for s in PSA_FLOAT_SCOPES)]
    dtypes = {}
    for op in in_scope:
        dtypes.setdefault(op.name, set()).add(op.outputs[0].dtype)
    assert dtypes["CONV_2D"] == {"INT8"}
    assert dtypes["LOGISTIC"] == {"INT8"}
    # The LayerNorm's statistics (on x / max|x|, fp16-safe) included.
    for name in ("SOFTMAX", "SUM", "RSQRT", "SQUARE", "REDUCE_MAX", "DIV"):
        assert dtypes[name] == {"FLOAT32"}, (name, dtypes)


def test_int8_psa_layer_is_fully_on_xnnpack_and_closer_to_keras(psa_layer):
    model, paths = psa_layer
    xnnpack = check_xnnpack_delegation(paths["auto"])
    assert xnnpack.passed, xnnpack.summary()
    auto = check_keras_parity(model, paths["auto"], pixel_range=(0.0, 1.0))
    plain = check_keras_parity(model, paths["plain"], pixel_range=(0.0, 1.0))
    assert auto.status == "not judged", auto.summary()  # random images
    assert max(auto.details["relative_error"]) <= KERAS_TOLERANCE["int8"]
    assert max(auto.details["relative_error"]) < max(plain.details["relative_error"])
    # Plain int8 leaves the LayerNorm's int8 RSQRT (and more) off XNNPACK.
    assert not check_xnnpack_delegation(paths["plain"]).passed
