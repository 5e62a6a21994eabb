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
from keras_psa.saving import UnsafeModelError, load_model
try:
    model = load_model(sys.argv[1], allow_unsafe=sys.argv[3] == "1")
except UnsafeModelError as error:
    sys.exit(f"UnsafeModelError: {error}")
arrays, layers = {}, []
for layer in model._flatten_layers(include_self=False, recursive=False):
    values = [np.asarray(w) for w in layer.get_weights()]
    layers.append([layer.name, len(values)])
    for index, value in enumerate(values):
        arrays[f"{len(layers) - 1}/{index}"] = value
np.savez(sys.argv[2], **arrays)
print(json.dumps(layers))
"""


def load_keras3_weights(model, path, *, allow_unsafe=False):
    """Copies the weights of a Keras 3 `.keras` model into a tf_keras `model`.

    A process runs one Keras flavor, and a `.keras` file written by Keras 3
    does not load under tf_keras. Build the same architecture under tf_keras
    (the same builder call, so layer names match), then copy the weights
    over: a Keras 3 subprocess reads the file, and each layer of `model`
    receives the weights of the layer with the same name. Where Keras 3
    names layers differently (keras.applications MobileNetV3), the layers
    are paired in model order instead, every weight shape checked. No
    retraining.

    Args:
        model: tf_keras model with the architecture of the saved one.
        path: the `.keras` file saved by Keras 3.
        allow_unsafe: load it even if that runs code stored in it (see
            `keras_psa.saving.load_model`). Defaults to False.

    Returns:
        `model`, with the weights loaded.

    Example:

    ```python
    model = build_segmenter(**same_arguments)   # under TF_USE_LEGACY_KERAS=1
    load_keras3_weights(model, "float.keras")
    qat_model = quantize_model(model)
    ```
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
            [sys.executable, "-c", _EXPORT_SCRIPT, str(path), str(arrays_path),
             "1" if allow_unsafe else "0"],
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
            saved = [
                (name, [arrays[f"{index}/{i}"] for i in range(count)])
                for index, (name, count) in enumerate(saved_layers)
            ]
    own = [layer for layer in model.layers if layer.weights]
    saved_with_weights = [(name, values) for name, values in saved if values]
    by_name = {name: values for name, values in saved_with_weights}
    if {layer.name for layer in own} == set(by_name):
        pairs = [(layer, layer.name, by_name[layer.name]) for layer in own]
    elif len(own) == len(saved_with_weights) and all(
        _shapes(layer.get_weights()) == _shapes(values)
        for layer, (_, values) in zip(own, saved_with_weights)
    ):
        # Keras 3 names some keras.applications layers differently from
        # tf_keras (MobileNetV3: "conv_bn" vs "Conv/BatchNorm"); the same
        # builder still creates them in the same order with the same shapes.
        pairs = [(layer, name, values) for layer, (name, values) in zip(own, saved_with_weights)]
    else:
        raise ValueError(
            f"The layers with weights of {path} and of `model` differ: only in the file: "
            f"{sorted(set(by_name) - {layer.name for layer in own})}; only in `model`: "
            f"{sorted({layer.name for layer in own} - set(by_name))}. Build `model` with the "
            "same builder and arguments as the saved one."
        )
    for layer, name, values in pairs:
        expected, received = _shapes(layer.get_weights()), _shapes(values)
        if expected != received:
            raise ValueError(
                f"Layer {layer.name!r} of `model` has weight shapes {expected}, but {path} "
                f"holds {received} (layer {name!r}). Build `model` with the same arguments "
                "as the saved one."
            )
        layer.set_weights(values)
    return model


def _shapes(values):
    return [tuple(v.shape) for v in values]
