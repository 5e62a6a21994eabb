"""Picks the Keras flavor this process uses: Keras 3 or tf_keras (Keras 2).

TensorFlow decides `tf.keras` from `TF_USE_LEGACY_KERAS` when it is first
imported, and tensorflow-model-optimization sets that variable on import. The
package follows the same switch so that its layers always subclass the Layer
class that the rest of the process (and tfmot) uses.
"""

import os

_TRUE = ("1", "true", "yes", "on")

USING_TF_KERAS = os.environ.get("TF_USE_LEGACY_KERAS", "0").strip().lower() in _TRUE

if USING_TF_KERAS:
    import tf_keras as keras  # noqa: F401
else:
    import keras  # noqa: F401

    if keras.backend.backend() != "tensorflow":
        raise ImportError(
            "keras_psa needs the TensorFlow backend of Keras 3 (its layers use "
            "TensorFlow ops that convert to TFLite). Set KERAS_BACKEND=tensorflow "
            f"before importing Keras. Received: KERAS_BACKEND={keras.backend.backend()}"
        )


def register_serializable(cls):
    """Registers `cls` as `keras_psa>ClassName` with the active flavor."""
    return keras.saving.register_keras_serializable(package="keras_psa")(cls)
