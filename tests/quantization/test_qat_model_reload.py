"""A QAT SavedModel reloaded for export: its weights reach a freshly built copy intact."""

import numpy as np
import pytest

from keras_psa import PolarizedSelfAttention
from keras_psa.keras_flavor import keras
from tests.quantization.conftest import fit_briefly
from tests.quantization.conftest import tiny_model

pytestmark = pytest.mark.tf_keras_only


def psa_segmenter_like():
    inputs = keras.Input((16, 16, 3), batch_size=1)
    x = keras.layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = PolarizedSelfAttention(layout="parallel")(x)
    x = keras.layers.Conv2D(4, 1)(x)
    return keras.Model(inputs, x)


def test_reloaded_qat_model_copies_into_a_fresh_one_by_layer_and_name(tmp_path):
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization import quantize_scope
    from keras_psa.quantization.qat_finetune import _copy_weights_layer_by_layer

    keras.utils.set_random_seed(0)
    qat_model = quantize_model(psa_segmenter_like())
    _, x = fit_briefly(qat_model, steps=4)
    qat_model.save(str(tmp_path / "qat"), save_format="tf", include_optimizer=False)
    with quantize_scope():
        reloaded = keras.models.load_model(str(tmp_path / "qat"), compile=False)
    expected = np.asarray(qat_model(x[:1], training=False))
    np.testing.assert_allclose(np.asarray(reloaded(x[:1], training=False)), expected, atol=1e-6)

    # Built later in the same process: its auto-named layers and their
    # variables carry other counters (quantize_layer_1_max:0).
    fresh = quantize_model(psa_segmenter_like())
    assert fresh.layers[1].name != reloaded.layers[1].name
    _copy_weights_layer_by_layer(reloaded, fresh)
    np.testing.assert_allclose(np.asarray(fresh(x[:1], training=False)), expected, atol=1e-6)


def test_copy_refuses_a_model_of_another_architecture():
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization.qat_finetune import _copy_weights_layer_by_layer

    wide = quantize_model(tiny_model(PolarizedSelfAttention(), shape=(8, 8, 16)))
    narrow = quantize_model(tiny_model(PolarizedSelfAttention(), shape=(8, 8, 8)))
    before = [w.copy() for w in narrow.get_weights()]
    with pytest.raises(ValueError, match="does not match its training summary"):
        _copy_weights_layer_by_layer(wide, narrow)
    assert all(np.array_equal(a, b) for a, b in zip(before, narrow.get_weights()))
