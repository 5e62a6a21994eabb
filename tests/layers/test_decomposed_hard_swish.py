import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.layers.decomposed_hard_swish import DecomposedHardSwish
from tests.backend import to_numpy

pytestmark = pytest.mark.all_backends


def test_equals_hard_swish():
    x = np.linspace(-8.0, 8.0, 401, dtype="float32")
    expected = x * np.clip(x + 3.0, 0.0, 6.0) / 6.0
    np.testing.assert_allclose(to_numpy(DecomposedHardSwish()(x)), expected, rtol=1e-6, atol=1e-6)


def test_config_round_trip_in_a_saved_model(tmp_path):
    inputs = keras.Input((4, 4, 2))
    model = keras.Model(inputs, DecomposedHardSwish(name="hs")(inputs))
    path = str(tmp_path / "hs.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded.get_layer("hs"), DecomposedHardSwish)
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype("float32") * 4
    np.testing.assert_allclose(to_numpy(loaded(x)), to_numpy(model(x)), rtol=1e-6)
