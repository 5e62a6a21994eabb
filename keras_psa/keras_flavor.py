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

    BACKEND = "tensorflow"
else:
    import keras  # noqa: F401

    # Keras 3 on any backend: the layers and model builders are written in
    # `keras_psa.backend_ops`; what needs TensorFlow (tf.data, tfmot, TFLite)
    # calls `require_tensorflow_backend` first.
    BACKEND = keras.backend.backend()


def require_tensorflow_backend(api_name, error=RuntimeError):
    """Raises `error` (a RuntimeError by default) naming the fix unless Keras runs
    on TensorFlow.

    tf.data pipelines, tfmot's QAT and the TFLite converter and checks are
    TensorFlow. A model built and trained under JAX or PyTorch and saved as
    `.keras` loads in a TensorFlow process, which then converts it.
    """
    if BACKEND != "tensorflow":
        raise error(
            f"`{api_name}` needs the TensorFlow backend of Keras; set "
            "KERAS_BACKEND=tensorflow before Python starts (a model trained here and "
            "saved as `.keras` loads there). Received: "
            f"backend={BACKEND!r}"
        )


def register_serializable(cls):
    """Registers `cls` as `keras_psa>ClassName` with the active flavor."""
    return keras.saving.register_keras_serializable(package="keras_psa")(cls)
