"""Writes model files whose loading would run Python code: a Lambda that creates a marker.

Run as a script, in the Keras flavor the files are to be written with:
    python tests/saving/hostile_files.py OUT_DIR MARKER_PATH
writes OUT_DIR/evil.keras and OUT_DIR/evil.h5, and, under tf_keras
(TF_USE_LEGACY_KERAS=1), the Keras SavedModel OUT_DIR/evil_savedmodel too.
The marker is created while the model is built; it is removed before exit, so
a marker found later means that loading ran the Lambda.
"""

import os
import sys

LAMBDA_NAME = "evil_lambda"


def write_hostile_files(out_dir, marker):
    from keras_psa.keras_flavor import USING_TF_KERAS
    from keras_psa.keras_flavor import keras

    # The function must stand alone once its bytecode is stored: the marker
    # path is a constant of its code.
    function = eval(f"lambda t: (open({os.fspath(marker)!r}, 'w').close(), t)[1]")
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 1, name="conv")(inputs)
    outputs = keras.layers.Lambda(function, output_shape=(8, 8, 2), name=LAMBDA_NAME)(x)
    model = keras.Model(inputs, outputs)
    os.makedirs(out_dir, exist_ok=True)
    model.save(os.path.join(out_dir, "evil.keras"))
    model.save(os.path.join(out_dir, "evil.h5"))
    if USING_TF_KERAS:
        model.save(os.path.join(out_dir, "evil_savedmodel"), save_format="tf")
    if os.path.exists(marker):
        os.remove(marker)


if __name__ == "__main__":
    write_hostile_files(sys.argv[1], sys.argv[2])
