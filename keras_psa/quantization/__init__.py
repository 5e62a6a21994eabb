"""Quantization-aware training (QAT) of keras_psa models, ending in all-int8 TFLite.

tf_keras only: tensorflow-model-optimization needs it. Importing this
package is harmless in a Keras 3 process (tfmot is imported lazily); calling
its QAT functions there raises an error that says to run them in a process
started with TF_USE_LEGACY_KERAS=1. `load_keras3_weights` is the hand-over: it
copies the weights of a float model saved as `.keras` under Keras 3 into the
same architecture built under tf_keras.
"""

from keras_psa.quantization.integer_bias_grid import snap_biases_to_integer_grid
from keras_psa.quantization.keras3_handover import load_keras3_weights
from keras_psa.quantization.quantize_model import quantize_model
from keras_psa.quantization.quantize_model import quantize_scope
from keras_psa.quantization.range_calibration import calibrate_quantization_ranges

__all__ = [
    "calibrate_quantization_ranges",
    "load_keras3_weights",
    "quantize_model",
    "quantize_scope",
    "snap_biases_to_integer_grid",
]
