"""The guard every entry point of `keras_psa.quantization` runs first."""

from keras_psa.keras_flavor import BACKEND
from keras_psa.keras_flavor import USING_TF_KERAS


def require_tf_keras(api_name):
    """Raises a RuntimeError naming the fix unless this process runs tf_keras.

    tensorflow-model-optimization only works with tf_keras, and a process
    picks its Keras flavor once, when TensorFlow is first imported.
    """
    if BACKEND != "tensorflow":
        raise RuntimeError(
            f"`keras_psa.quantization.{api_name}` needs the TensorFlow backend with tf_keras "
            "(tensorflow-model-optimization); quantization-aware training is not available "
            f"under {BACKEND}. Save the float model as `.keras` and run QAT in a process "
            "started with KERAS_BACKEND=tensorflow TF_USE_LEGACY_KERAS=1, where "
            "`keras_psa.quantization.load_keras3_weights(model, path)` takes its weights. "
            f"Received: backend={BACKEND!r}"
        )
    if not USING_TF_KERAS:
        raise RuntimeError(
            f"`keras_psa.quantization.{api_name}` needs tf_keras (Keras 2), which "
            "tensorflow-model-optimization requires, but this process already runs Keras 3. "
            "Run the quantization step in its own process started with "
            "TF_USE_LEGACY_KERAS=1 set before Python starts (e.g. "
            "`TF_USE_LEGACY_KERAS=1 python qat.py`). A float model saved here as `.keras` "
            "hands over there: build the same model and call "
            "`keras_psa.quantization.load_keras3_weights(model, path)`."
        )
