"""keras.applications backbones + PSA quantize to all-int8 (hard-swish, Rescaling, SE)."""

import numpy as np
import pytest

from keras_psa import PolarizedSelfAttention
from keras_psa.keras_flavor import keras
from tests.quantization.conftest import assert_int8_inside
from tests.quantization.conftest import convert_default
from tests.quantization.conftest import fit_briefly
from tests.quantization.conftest import fraction_within_one_step
from tests.quantization.conftest import interpreter_for

pytestmark = [pytest.mark.tf_keras_only, pytest.mark.slow]


def backbone_with_psa(application, layout):
    keras.utils.set_random_seed(0)
    alpha = 0.75 if application is keras.applications.MobileNetV3Small else 0.35
    backbone = application(input_shape=(64, 64, 3), weights=None, include_top=False, alpha=alpha)
    # A tap a third of the way in keeps a spatial map (8x8 or 16x16) for PSA;
    # the graph stays flat, as tfmot wants no nested models.
    features = backbone.layers[len(backbone.layers) // 3].output
    x = PolarizedSelfAttention(layout=layout)(features)
    return keras.Model(backbone.input, keras.layers.Conv2D(3, 1)(x))


@pytest.mark.parametrize(
    "application, layout",
    [
        (keras.applications.MobileNetV3Small, "parallel"),
        (keras.applications.MobileNetV2, "sequential"),
    ],
)
def test_backbone_psa_qat_is_int8_inside(application, layout):
    from keras_psa.quantization import quantize_model

    model = quantize_model(backbone_with_psa(application, layout))
    if application is keras.applications.MobileNetV3Small:
        kinds = {type(layer.layer).__name__ for layer in model.layers if hasattr(layer, "layer")}
        assert {"ScalarArithmetic", "DepthwiseConv2D", "Multiply"} <= kinds, kinds
    _, x = fit_briefly(model, steps=3)
    interpreter = interpreter_for(convert_default(model))
    assert_int8_inside(interpreter)
    samples = np.random.default_rng(1).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    within, step, differences = fraction_within_one_step(interpreter, model, samples)
    assert within >= 0.99, (within, step, differences.max())
