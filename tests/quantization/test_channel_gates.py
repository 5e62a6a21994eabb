"""QAT of SqueezeExcitation and CBAM: all-int8 TFLite, no requantize, XNNPACK takes every op."""

import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.models import CBAM
from keras_psa.models import SqueezeExcitation
from keras_psa.models import build_segmentation_model
from tests.quantization.conftest import assert_int8_inside
from tests.quantization.conftest import convert_default
from tests.quantization.conftest import fit_briefly
from tests.quantization.conftest import fraction_within_one_step
from tests.quantization.conftest import interpreter_for
from tests.quantization.conftest import tiny_model

pytestmark = pytest.mark.tf_keras_only

BLOCKS = [
    (lambda: SqueezeExcitation(reduction=4), ("context", "hidden", "logits", "output")),
    (
        lambda: CBAM(reduction=4),
        ("avg", "avg_hidden", "avg_out", "peak_hidden", "peak_out", "channel_logits", "gated",
         "spatial_logits", "output"),
    ),
]


@pytest.mark.parametrize("make_block, points", BLOCKS, ids=["se", "cbam"])
def test_channel_gate_qat_converts_to_int8(make_block, points):
    from keras_psa.quantization import quantize_model

    keras.utils.set_random_seed(0)
    model = quantize_model(tiny_model(make_block()))
    block = next(layer for layer in model.layers if hasattr(layer, "layer")
                 and isinstance(layer.layer, (SqueezeExcitation, CBAM))).layer
    assert block.activation_quantization_points() == points
    range_names = {w.name.split("/")[-1].split(":")[0] for w in block.weights}
    assert {f"{name}_max" for name in points} <= range_names, range_names
    before = [w.numpy().copy() for w in block.trainable_weights]
    losses, x = fit_briefly(model, steps=4)
    assert np.all(np.isfinite(losses))
    after = [w.numpy() for w in block.trainable_weights]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after)), "block did not train"

    interpreter = interpreter_for(convert_default(model))
    names = assert_int8_inside(interpreter)
    assert "LOGISTIC" in names
    # One QUANTIZE, at the float input: no int8 requantize between ranges
    # that disagree (CBAM's CONCATENATION needs one scale for its inputs).
    assert names.count("QUANTIZE") == 1, names
    within, step, differences = fraction_within_one_step(interpreter, model, x)
    assert within >= 0.99, (within, step, differences.max())


@pytest.mark.parametrize("cls", [SqueezeExcitation, CBAM])
def test_float_channel_gate_is_unchanged_by_qat_hooks(cls):
    layer = cls(reduction=4)
    layer(np.zeros((1, 4, 4, 16), "float32"))
    assert not layer.activation_quantization_enabled
    # Only the convolutions' kernels and biases: saved weights stay as before.
    assert len(layer.weights) == (4 if cls is SqueezeExcitation else 6)
    assert not any("_max" in w.name or "_min" in w.name for w in layer.weights)


@pytest.mark.slow
@pytest.mark.parametrize("attention", ["se", "cbam"])
def test_qat_segmenter_with_channel_gate_is_int8_on_cpu_and_xnnpack(attention, tmp_path):
    from keras_psa.export import check_xnnpack_delegation
    from keras_psa.quantization import quantize_model

    keras.utils.set_random_seed(0)
    model = build_segmentation_model("mobilenet_v2", 3, input_shape=(64, 64, 3), alpha=0.35,
                                     head_filters=16, batch_size=1, attention=attention)
    qat_model = quantize_model(model)
    fit_briefly(qat_model, steps=2)
    path = tmp_path / "qat_int8.tflite"
    path.write_bytes(convert_default(qat_model))

    interpreter = interpreter_for(path.read_bytes())
    names = assert_int8_inside(interpreter)
    assert names.count("QUANTIZE") == 1, names
    if attention == "cbam":
        assert "CONCATENATION" in names and "REDUCE_MAX" in names
    images = np.random.default_rng(1).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    within, step, differences = fraction_within_one_step(interpreter, qat_model, images)
    assert within >= 0.99, (within, step, differences.max())

    xnnpack = check_xnnpack_delegation(path)
    assert not xnnpack.issues, xnnpack.summary()
    assert xnnpack.details["num_delegated"] == xnnpack.details["num_ops"], xnnpack.summary()
