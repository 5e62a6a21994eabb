"""Config round trips and saved models that reload, in this process and a fresh one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_psa import ChannelPolarizedAttention
from keras_psa import PolarizedSelfAttention
from keras_psa import SpatialPolarizedAttention
from keras_psa.keras_flavor import keras
from tests.backend import to_numpy

pytestmark = pytest.mark.all_backends

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    (PolarizedSelfAttention, {"layout": "parallel", "variant": "paper"}),
    (PolarizedSelfAttention, {"layout": "sequential", "variant": "official"}),
    (ChannelPolarizedAttention, {"layout": "sequential", "variant": "official", "epsilon": 1e-3}),
    (SpatialPolarizedAttention, {"variant": "paper", "use_bias": False}),
]


@pytest.mark.parametrize("cls, kwargs", CONFIGS)
def test_config_round_trip(cls, kwargs):
    layer = cls(
        kernel_regularizer=keras.regularizers.L2(1e-4),
        kernel_initializer="he_uniform",
        **kwargs,
    )
    config = layer.get_config()
    json.dumps(config)  # configs must be plain JSON
    clone = cls.from_config(config)
    assert clone.get_config() == config
    for key, value in kwargs.items():
        assert getattr(clone, key) == value


def test_registered_names():
    for cls in (PolarizedSelfAttention, ChannelPolarizedAttention, SpatialPolarizedAttention):
        assert keras.saving.get_registered_name(cls) == f"keras_psa>{cls.__name__}"
        assert keras.saving.get_registered_object(f"keras_psa>{cls.__name__}") is cls


def psa_model():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((None, None, 16))
    x = PolarizedSelfAttention(layout="parallel", variant="paper", name="psa_p")(inputs)
    x = PolarizedSelfAttention(layout="sequential", variant="official", name="psa_s")(x)
    x = ChannelPolarizedAttention(name="channel")(x)
    x = SpatialPolarizedAttention(variant="official", name="spatial")(x)
    return keras.Model(inputs, x)


def sample():
    return np.random.default_rng(7).normal(size=(2, 5, 7, 16)).astype(np.float32)


# The script reloads a saved model in a fresh interpreter and prints its output.
RELOAD = """
import json, sys
import numpy as np
from keras_psa.keras_flavor import keras
path, x_path = sys.argv[1], sys.argv[2]
kwargs = {"safe_mode": True} if not path.endswith((".h5", "_savedmodel")) else {}
model = keras.models.load_model(path, **kwargs)
out = model(np.load(x_path))
np.save(sys.argv[3], keras.ops.convert_to_numpy(out) if hasattr(keras, "ops") else np.asarray(out))
"""


def reload_in_fresh_process(path, tmp_path):
    x_path, out_path = tmp_path / "x.npy", tmp_path / "out.npy"
    np.save(x_path, sample())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-c", RELOAD, str(path), str(x_path), str(out_path)],
        check=True, env=env, cwd=tmp_path, capture_output=True,
    )
    return np.load(out_path)


@pytest.mark.slow
@pytest.mark.keras3_only
def test_keras3_file_loads_in_safe_mode(tmp_path):
    model = psa_model()
    expected = to_numpy(model(sample()))
    path = tmp_path / "psa.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(to_numpy(reloaded(sample())), expected)
    np.testing.assert_array_equal(reload_in_fresh_process(path, tmp_path), expected)


@pytest.mark.keras3_only
@pytest.mark.tensorflow_only
def test_keras3_export_serves(tmp_path):
    model = psa_model()
    import tensorflow as tf

    path = tmp_path / "served"
    model.export(str(path), verbose=False)

    served = tf.saved_model.load(str(path))
    np.testing.assert_allclose(
        served.serve(tf.constant(sample())).numpy(), to_numpy(model(sample())), atol=1e-6
    )


@pytest.mark.tf_keras_only
@pytest.mark.parametrize("file_name", ["psa.keras", "psa.h5", "psa_savedmodel"])
def test_tf_keras_formats_round_trip(tmp_path, file_name):
    model = psa_model()
    expected = np.asarray(model(sample()))
    path = tmp_path / file_name
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(reloaded(sample())), expected)
    np.testing.assert_array_equal(reload_in_fresh_process(path, tmp_path), expected)


@pytest.mark.slow
def test_weights_survive_training_and_reload(tmp_path):
    model = psa_model()
    outputs = keras.layers.Conv2D(2, 1)(model.output)
    trainable = keras.Model(model.input, outputs)
    trainable.compile(optimizer="adam", loss="mse")
    trainable.fit(sample(), np.zeros((2, 5, 7, 2), np.float32), epochs=1, verbose=0)
    path = tmp_path / "trained.weights.h5"
    trainable.save_weights(path)
    clone = keras.Model.from_config(trainable.get_config())
    clone.load_weights(path)
    np.testing.assert_array_equal(to_numpy(clone(sample())), to_numpy(trainable(sample())))
