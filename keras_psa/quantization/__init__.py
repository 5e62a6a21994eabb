"""Quantization-aware training (QAT) of keras_psa models, ending in all-int8 TFLite.

tf_keras only: tensorflow-model-optimization needs it. Importing this
package is harmless in a Keras 3 process (tfmot is imported lazily); calling
its QAT functions there raises an error that says to run them in a process
started with TF_USE_LEGACY_KERAS=1. `load_keras3_model` is the hand-over: it
loads a float model saved as `.keras` under Keras 3 into tf_keras.
"""

from keras_psa.quantization.quantize_model import quantize_model
from keras_psa.quantization.quantize_model import quantize_scope

__all__ = ["quantize_model", "quantize_scope"]
