"""Prints each golden vector's relative error in the active Keras flavor.

python scripts/golden_errors.py; TF_USE_LEGACY_KERAS=1 python scripts/golden_errors.py
"""

import json
from pathlib import Path

import numpy as np

from keras_psa import PolarizedSelfAttention
from keras_psa import load_torch_state_dict
from keras_psa.keras_flavor import USING_TF_KERAS

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "psa_golden"

print(f"flavor: {'tf_keras' if USING_TF_KERAS else 'Keras 3'}")
print("| case | max abs error / max abs output |")
print("| --- | --- |")
for entry in json.loads((GOLDEN / "index.json").read_text()):
    data = np.load(GOLDEN / entry["file"])
    state = {k[len("param/"):]: data[k] for k in data.files if k.startswith("param/")}
    layer = PolarizedSelfAttention(layout=entry["layout"], variant=entry["variant"])
    load_torch_state_dict(layer, state)
    actual = np.asarray(layer(data["input_nchw"].transpose(0, 2, 3, 1)))
    expected = data["output_nchw"].transpose(0, 2, 3, 1)
    error = np.max(np.abs(actual - expected)) / np.max(np.abs(expected))
    print(f"| {entry['file']} | {error:.2e} |")
