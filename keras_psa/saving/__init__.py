"""Safe loading of saved Keras models: no code from the file runs unless asked."""

from keras_psa.saving.model_config import read_model_configs
from keras_psa.saving.safe_loading import check_model_file
from keras_psa.saving.safe_loading import deserialization_scope
from keras_psa.saving.safe_loading import load_model
from keras_psa.saving.unsafe_model_error import UnsafeModelError
from keras_psa.saving.unsafe_object import UnsafeObject
from keras_psa.saving.unsafe_object import find_unsafe_objects

__all__ = [
    "UnsafeModelError",
    "UnsafeObject",
    "check_model_file",
    "deserialization_scope",
    "find_unsafe_objects",
    "load_model",
    "read_model_configs",
]
