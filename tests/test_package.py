"""Package-level promises: public API, and importing it never imports tfmot."""

import subprocess
import sys
from pathlib import Path

import keras_psa

ROOT = Path(__file__).resolve().parents[1]


def test_public_api():
    assert set(keras_psa.__all__) >= {
        "PolarizedSelfAttention",
        "ChannelPolarizedAttention",
        "SpatialPolarizedAttention",
        "load_torch_state_dict",
    }


def test_import_does_not_import_tfmot_or_flip_the_flavor():
    code = (
        "import os, sys; import keras_psa; "
        "print('tensorflow_model_optimization' in sys.modules, "
        "os.environ.get('TF_USE_LEGACY_KERAS', '0'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
    ).stdout.split()
    assert out == ["False", "0"]
