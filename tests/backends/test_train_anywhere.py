"""Train anywhere, ship through TFLite: a model trained under JAX or PyTorch loads
under TensorFlow with the same outputs and converts with every check passing.

examples/train_on_jax.py trains and saves in a JAX (or PyTorch) subprocess,
then runs `keras-psa-convert --strict` in a TensorFlow one; this test (the
Keras 3 pass, TensorFlow) loads the same `.keras` file once more and compares
its outputs with the ones the training backend wrote.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_psa.saving import load_model

pytestmark = [pytest.mark.flavor_independent, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_model_trained_elsewhere_loads_and_converts_under_tensorflow(backend, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "train_on_jax.py"), "--backend", backend,
         "--steps", "4", "--output-dir", str(tmp_path)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    summary = json.loads((tmp_path / "train_summary.json").read_text())
    assert summary["backend"] == backend
    assert all(np.isfinite(summary["loss"]))
    assert summary["loss"][-1] < summary["loss"][0]
    assert summary["weights_moved"] > summary["weights"] // 2

    model = load_model(tmp_path / "model.keras")
    x = np.load(tmp_path / "sample_input.npy")
    np.testing.assert_allclose(np.asarray(model(x, training=False)),
                               np.load(tmp_path / "sample_output.npy"), rtol=0, atol=1e-5)

    report = json.loads((tmp_path / "model.report.json").read_text())
    assert (tmp_path / "model.tflite").stat().st_size > 0
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses and set(statuses.values()) == {"passed"}, statuses
