"""A layer for `x + c` and `x * c`, standing in for tf_keras's TFOpLambda in QAT models."""

import tensorflow as tf

from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable

OPERATIONS = {"add": tf.add, "multiply": tf.multiply}
# TFOpLambda functions (as tf_keras names them) that `from_tf_op_lambda` replaces.
TF_OP_LAMBDA_FUNCTIONS = {"__operators__.add": "add", "math.multiply": "multiply"}


@register_serializable
class ScalarArithmetic(keras.layers.Layer):
    """Adds a constant to, or multiplies by a constant, its input.

    tf_keras records `x + 3.0` and `x * (1 / 6)` on symbolic tensors (the
    hard-sigmoid of keras.applications' MobileNetV3) as TFOpLambda layers,
    which tfmot's QuantizeWrapper cannot call: `quantize_model` puts this
    layer in their place. Float results are identical.

    Args:
        operation: `"add"` or `"multiply"`.
        value: the Python float constant.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).

    Call arguments:
        inputs: a tensor (or a one-element list, as QuantizeWrapper passes it).
        *args, **kwargs: the TFOpLambda call's other arguments (`y`,
            `name`), ignored: the constant is `value`.
    """

    def __init__(self, operation, value, **kwargs):
        super().__init__(**kwargs)
        if operation not in OPERATIONS:
            raise ValueError(
                f"`operation` must be one of {tuple(OPERATIONS)}. Received: operation={operation!r}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"`value` must be a Python number. Received: value={value!r}")
        self.operation = operation
        self.value = float(value)

    @classmethod
    def from_tf_op_lambda(cls, layer):
        """Returns the replacement of a TFOpLambda `x + c` / `x * c` layer, or None."""
        operation = TF_OP_LAMBDA_FUNCTIONS.get(layer.get_config().get("function"))
        nodes = layer.inbound_nodes
        if operation is None or len(nodes) != 1:
            return None
        node = nodes[0]
        value = node.call_args[1] if len(node.call_args) == 2 else node.call_kwargs.get("y")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return cls(operation, value, name=layer.name)

    def call(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)):
            (inputs,) = inputs
        return OPERATIONS[self.operation](inputs, tf.cast(self.value, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"operation": self.operation, "value": self.value})
        return config
