"""Mixed precision: float16/bfloat16 compute, float32 for softmax and LayerNorm."""

import ml_dtypes
import numpy as np
import pytest

from keras_psa import PolarizedSelfAttention
from keras_psa.keras_flavor import keras
from tests.backend import dtype_name
from tests.backend import to_numpy

pytestmark = pytest.mark.all_backends


def half_numpy_dtype(name):
    # NumPy has no bfloat16; ml_dtypes (a dependency of TensorFlow and JAX) has.
    return ml_dtypes.bfloat16 if name == "bfloat16" else np.float16


@pytest.fixture
def policy():
    previous = keras.mixed_precision.global_policy()
    yield keras.mixed_precision.set_global_policy
    keras.mixed_precision.set_global_policy(previous)


@pytest.mark.parametrize("layout", ["parallel", "sequential"])
@pytest.mark.parametrize("variant", ["paper", "official"])
@pytest.mark.parametrize("mixed", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_close_to_float32(policy, mixed, variant, layout):
    # A large map (48*48 positions) makes a half-precision softmax over H*W
    # lose precision visibly; float32 inside keeps the gap below 1e-2. The
    # input is representable in the half type, so only the layer's own
    # rounding is measured.
    keras.utils.set_random_seed(0)
    half = mixed.split("_")[1]
    x = np.random.default_rng(1).normal(0, 1, (2, 48, 48, 32)).astype(np.float32)
    x = x.astype(half_numpy_dtype(half)).astype(np.float32)
    reference = PolarizedSelfAttention(layout=layout, variant=variant)
    expected = to_numpy(reference(x))

    policy(mixed)
    layer = PolarizedSelfAttention(layout=layout, variant=variant)
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    actual = layer(x)
    assert dtype_name(actual) == half
    assert all(dtype_name(w) == "float32" for w in layer.weights)
    error = np.abs(to_numpy(actual).astype(np.float32) - expected)
    # bfloat16 has 8 significant bits: rounding the float32 output alone
    # costs 0.015 at |y| = 4, so it is held to 1e-2 of the output's scale.
    assert error.max() / np.abs(expected).max() < 1e-2
    if half == "float16":
        assert error.max() < 1e-2


def test_mixed_precision_trains(policy):
    policy("mixed_float16")
    inputs = keras.Input((8, 8, 16))
    outputs = keras.layers.Conv2D(1, 1, dtype="float32")(PolarizedSelfAttention()(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(4, 8, 8, 16)).astype(np.float32)
    history = model.fit(x, np.zeros((4, 8, 8, 1), np.float32), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
