"""Under JAX and PyTorch, what needs TensorFlow says so in one line; the rest works.

Keras fixes its backend per process, so each backend runs in a subprocess.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.flavor_independent]

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import contextlib, io, json
import numpy as np
import keras
import keras_psa
from keras_psa.layers import PolarizedSelfAttention

results = {"backend": keras.backend.backend()}

def record(name, call):
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            call()
        results[name] = ["ok", ""]
    except SystemExit as error:
        results[name] = [f"SystemExit({error.code})", stderr.getvalue()]
    except Exception as error:
        results[name] = [type(error).__name__, str(error)]

def import_export():
    import keras_psa.export  # noqa: F401

def convert_cli():
    from keras_psa.cli.convert import main
    main(["model.keras", "--output", "model.tflite"])

def train_segmentation():
    from keras_psa.training import train_segmentation
    train_segmentation(None)

def quantize_model():
    from keras_psa.quantization import quantize_model
    quantize_model(None)

def layer_qat():
    layer = PolarizedSelfAttention()
    layer.build((None, 8, 8, 16))
    layer.enable_activation_quantization(lambda layer, name: None)

def data_pipeline():
    from keras_psa.data import load_dataset
    data, info = load_dataset("shapes", (32, 32), 2, num_examples=4)
    next(iter(data))

for name, call in [("import_export", import_export), ("convert_cli", convert_cli),
                   ("train_segmentation", train_segmentation),
                   ("quantize_model", quantize_model), ("layer_qat", layer_qat),
                   ("data_pipeline", data_pipeline)]:
    record(name, call)
print("RESULTS " + json.dumps(results))
"""


def _probe(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(ROOT))
    env.pop("TF_USE_LEGACY_KERAS", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(lines[-1][len("RESULTS "):])


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_tensorflow_only_parts_name_the_backend_and_the_fix(backend):
    results = _probe(backend)
    assert results.pop("backend") == backend
    assert results.pop("data_pipeline") == ["ok", ""], "tf.data pipelines feed any backend"
    expected_kinds = {
        "import_export": "ImportError",
        "convert_cli": "SystemExit(2)",
        "train_segmentation": "RuntimeError",
        "quantize_model": "RuntimeError",
        "layer_qat": "RuntimeError",
    }
    for name, (kind, message) in results.items():
        assert kind == expected_kinds[name], (name, kind, message)
        assert "TensorFlow backend" in message, (name, message)
        assert "KERAS_BACKEND=tensorflow" in message, (name, message)
        assert f"backend={backend!r}" in message, (name, message)
        assert "Traceback" not in message, (name, message)
