"""Per-pixel class labels from logits, as an int32 tensor."""

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable


@register_serializable
class ClassLabels(keras.layers.Layer):
    """Takes the argmax over the last axis as an int32 label map.

    `tf.argmax` defaults to int64, which converts to a TFLite ARG_MAX with an
    int64 output that GPU delegates reject; this layer asks for int32.

    Args:
        **kwargs: base `Layer` arguments (`name`, ...).

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, classes)`.

    Output shape: `(batch, height, width)`, int32.

    Example:

    >>> keras.ops.convert_to_numpy(ClassLabels()(np.array([[[[0.1, 2.0, 0.3]]]], "float32")))
    array([[[1]]], dtype=int32)
    """

    def call(self, inputs):
        return ops.argmax(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(tuple(inputs.shape[:-1]), dtype="int32")
