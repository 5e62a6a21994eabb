"""QAT models save and reload; the Keras 3 error; the Keras 3 -> tf_keras hand-over."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from keras_psa import PolarizedSelfAttention
from keras_psa.keras_flavor import keras
from tests.quantization.conftest import fit_briefly
from tests.quantization.conftest import tiny_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.tf_keras_only
def test_qat_savedmodel_reloads_and_keeps_training(tmp_path):
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization import quantize_scope

    keras.utils.set_random_seed(0)
    model = quantize_model(tiny_model(PolarizedSelfAttention(layout="sequential")))
    _, x = fit_briefly(model, steps=4)
    expected = np.asarray(model(x[:1], training=False))
    model.save(tmp_path / "qat", save_format="tf")
    with quantize_scope():
        restored = keras.models.load_model(tmp_path / "qat")
    np.testing.assert_array_equal(np.asarray(restored(x[:1], training=False)), expected)
    ranges = {w.name: w.numpy() for w in model.weights if "_max" in w.name}
    restored_ranges = {w.name: w.numpy() for w in restored.weights if "_max" in w.name}
    assert ranges.keys() == restored_ranges.keys() and len(ranges) > 10
    losses, _ = fit_briefly(restored, steps=2)
    assert np.all(np.isfinite(losses))


def run_python(code, legacy):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True
    )


@pytest.mark.keras3_only
def test_qat_api_in_keras3_process_says_what_to_do():
    import keras_psa.quantization as quantization

    inputs = keras.Input((8, 8, 8))
    model = keras.Model(inputs, PolarizedSelfAttention()(inputs))
    with pytest.raises(RuntimeError, match="TF_USE_LEGACY_KERAS=1"):
        quantization.quantize_model(model)
    with pytest.raises(RuntimeError, match="separate process|own process"):
        quantization.quantize_scope()
    with pytest.raises(RuntimeError, match="TF_USE_LEGACY_KERAS=1"):
        quantization.snap_biases_to_integer_grid(model)
    with pytest.raises(RuntimeError, match="TF_USE_LEGACY_KERAS=1"):
        quantization.calibrate_quantization_ranges(model, np.zeros((1, 8, 8, 8)))


@pytest.mark.keras3_only
def test_importing_quantization_keeps_keras3():
    result = run_python(
        """
        import os, sys
        import keras_psa.quantization
        from keras_psa.keras_flavor import USING_TF_KERAS
        assert not USING_TF_KERAS
        assert "tensorflow_model_optimization" not in sys.modules
        assert os.environ.get("TF_USE_LEGACY_KERAS") is None
        print("ok")
        """,
        legacy=False,
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]


BUILD = """
from keras_psa import PolarizedSelfAttention
from keras_psa.keras_flavor import keras

def build():
    inputs = keras.Input((12, 12, 16), batch_size=1, name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", name="stem")(inputs)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = PolarizedSelfAttention(layout="sequential", variant="official", name="psa")(x)
    return keras.Model(inputs, keras.layers.Conv2D(3, 1, name="head")(x))
"""


@pytest.mark.tf_keras_only
def test_keras3_float_model_hands_over_to_qat(tmp_path):
    """Trained and saved under Keras 3, loaded into tf_keras, quantized: no retraining."""
    keras3 = run_python(
        BUILD
        + f"""
import numpy as np
keras.utils.set_random_seed(3)
model = build()
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 12, 12, 16)).astype("float32")
model.compile(optimizer="adam", loss="mse")
model.fit(x, rng.normal(size=(4, 12, 12, 3)).astype("float32"), batch_size=1, verbose=0)
model.save({str(tmp_path / "float.keras")!r})
np.savez({str(tmp_path / "reference.npz")!r}, x=x, y=np.asarray(model(x)))
""",
        legacy=False,
    )
    assert keras3.returncode == 0, keras3.stderr[-3000:]

    from keras_psa.quantization import load_keras3_weights
    from keras_psa.quantization import quantize_model

    namespace = {}
    exec(BUILD, namespace)
    model = namespace["build"]()
    load_keras3_weights(model, tmp_path / "float.keras")
    reference = np.load(tmp_path / "reference.npz")
    np.testing.assert_allclose(np.asarray(model(reference["x"])), reference["y"], atol=1e-5)
    qat = quantize_model(model)
    losses, _ = fit_briefly(qat, steps=2)
    assert np.all(np.isfinite(losses))


@pytest.mark.tf_keras_only
def test_hand_over_names_mismatched_layers(tmp_path):
    from keras_psa.quantization import load_keras3_weights

    keras3 = run_python(
        BUILD + f"\nbuild().save({str(tmp_path / 'float.keras')!r})\n", legacy=False
    )
    assert keras3.returncode == 0, keras3.stderr[-3000:]
    inputs = keras.Input((12, 12, 16), batch_size=1)
    other = keras.Model(inputs, keras.layers.Conv2D(3, 1, name="head")(inputs))
    with pytest.raises(ValueError, match="only in the file: .*psa"):
        load_keras3_weights(other, tmp_path / "float.keras")
    with pytest.raises(ValueError, match="existing `.keras` file"):
        load_keras3_weights(other, tmp_path / "missing.keras")
