"""Backend-neutral helpers for tests that run under every Keras backend."""

import numpy as np

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras


def to_numpy(x):
    """A NumPy copy of a tensor or variable of any backend (torch ones included,
    which refuse `np.asarray` while they require grad)."""
    if USING_TF_KERAS:
        return np.asarray(x)
    return keras.ops.convert_to_numpy(x)


def dtype_name(x):
    """The standard name of a tensor's or variable's dtype: "float32", "bfloat16", ..."""
    if USING_TF_KERAS:
        import tensorflow as tf

        return tf.as_dtype(x.dtype).name
    return keras.backend.standardize_dtype(x.dtype)
