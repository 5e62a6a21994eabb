"""A weight constraint that holds a weight at fixed values through training."""

import numpy as np

from keras_psa.keras_flavor import keras


@keras.utils.register_keras_serializable(package="keras_psa")
class FrozenValue(keras.constraints.Constraint):
    """Puts a weight back to `value` after every optimizer step.

    tfmot's QuantizeWrapper trains the weights its QuantizeConfig quantizes
    even when the wrapped layer is not trainable (it adds them to its own
    trainable weights), so `trainable=False` cannot keep the input Rescaling,
    made a 1x1 DepthwiseConv2D for QAT, from being fine-tuned. A constraint
    travels with the weight, also through saving and reloading the QAT model:
    the input scale and offset stay the float model's exactly.

    Args:
        value: the values (any nested list or array), in the weight's shape.
    """

    def __init__(self, value):
        self.value = np.asarray(value, dtype="float32").tolist()

    def __call__(self, w):
        import tensorflow as tf

        return tf.cast(tf.reshape(tf.constant(self.value), tf.shape(w)), w.dtype)

    def get_config(self):
        return {"value": self.value}
