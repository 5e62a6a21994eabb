"""Hand-over of float weights trained under Keras 3 to the tf_keras QAT process."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from keras_psa.quantization.require_tf_keras import require_tf_keras

# Runs under Keras 3: loads the `.keras` file (safe mode) and writes each
# layer's weights, by layer name, into an .npz.
_EXPORT_SCRIPT = """
import json, sys
import numpy as np
import keras
import keras_psa  # registers the package's layers
model = keras.saving.load_model(sys.argv[1], compile=False)
arrays, layers = {}, []
for layer in model._flatten_layers(include_self=False, recursive=False):
    values = [np.asarray(w) for w in layer.get_weights()]
    layers.append([layer.name, len(values)])
    for index, value in enumerate(values):
        arrays[f"{len(layers) - 1}/{index}"] = value
np.savez(sys.argv[2], **arrays)
print(json.dumps(layers))
"""


def load_keras3_weights(model, path):
    """Copies the weights of a Keras 3 `.keras` model into a tf_keras `model`.

    A process runs one Keras flavor, and a `.keras` file written by Keras 3
    does not load under tf_keras. Build the same architecture under tf_keras
    (the same builder call, so layer names match), then copy the weights
    over: a Keras 3 subprocess reads the file, and each layer of `model`
    receives the weights of the layer with the same name. No retraining.

    Args:
        model: tf_keras model with the architecture of the saved one.
        path: the `.keras` file saved by Keras 3.

    Returns:
        `model`, with the weights loaded.

    Example:

    >>> model = build_segmenter(**same_arguments)   # under TF_USE_LEGACY_KERAS=1
    >>> load_keras3_weights(model, "float.keras")
    >>> qat_model = quantize_model(model)
    """
    require_tf_keras("load_keras3_weights")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"`path` must be an existing `.keras` file. Received: path={path}")
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    with tempfile.TemporaryDirectory() as tmp:
        arrays_path = Path(tmp) / "weights.npz"
        result = subprocess.run(
            [sys.executable, "-c", _EXPORT_SCRIPT, str(path), str(arrays_path)],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ValueError(
                f"Keras 3 could not load {path} to hand its weights over:\n"
                f"{result.stderr.strip()[-2000:]}"
            )
        saved_layers = json.loads(result.stdout.strip().splitlines()[-1])
        with np.load(arrays_path) as arrays:
            saved = {
                name: [arrays[f"{index}/{i}"] for i in range(count)]
                for index, (name, count) in enumerate(saved_layers)
            }
    own = {layer.name: layer for layer in model.layers if layer.weights}
    with_weights = {name for name, values in saved.items() if values}
    if set(own) != with_weights:
        raise ValueError(
            f"The layers with weights of {path} and of `model` differ: only in the file: "
            f"{sorted(with_weights - set(own))}; only in `model`: "
            f"{sorted(set(own) - with_weights)}. Build `model` with the same builder "
            "and arguments as the saved one."
        )
    for name, layer in own.items():
        expected = [tuple(w.shape) for w in layer.get_weights()]
        received = [tuple(v.shape) for v in saved[name]]
        if expected != received:
            raise ValueError(
                f"Layer {name!r} of `model` has weight shapes {expected}, but {path} holds "
                f"{received}. Build `model` with the same arguments as the saved one."
            )
        layer.set_weights(saved[name])
    return model
