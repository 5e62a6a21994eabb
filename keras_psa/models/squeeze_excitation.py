"""Squeeze-and-Excitation channel attention."""

import tensorflow as tf

from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable


@register_serializable
class SqueezeExcitation(keras.layers.Layer):
    """Squeeze-and-Excitation block: channels re-weighted by a gate from global context.

    Built from ops that the TFLite GPU delegate and XNNPACK run: MEAN over the
    constant spatial axes, two 1x1 convolutions, LOGISTIC and a broadcast MUL.

    Args:
        reduction: int, ratio between the input channels and the bottleneck
            channels of the gate.
        min_units: int, lower bound on the bottleneck channels, so narrow
            feature maps keep a usable gate.
        kernel_initializer: initializer of the two 1x1 convolutions.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, channels)`.

    Output shape: same as the input.

    Example:

    >>> se = SqueezeExcitation(reduction=4)
    >>> se(tf.zeros((1, 8, 8, 32))).shape
    TensorShape([1, 8, 8, 32])

    Reference:
        J. Hu, L. Shen, G. Sun, "Squeeze-and-Excitation Networks", CVPR 2018.
    """

    def __init__(self, reduction=4, min_units=8, kernel_initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(reduction, int) or reduction < 1:
            raise ValueError(
                f"`reduction` must be a positive int. Received: reduction={reduction!r}"
            )
        if not isinstance(min_units, int) or min_units < 1:
            raise ValueError(
                f"`min_units` must be a positive int. Received: min_units={min_units!r}"
            )
        self.reduction = reduction
        self.min_units = min_units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _initializer(self):
        # A fresh instance per convolution: a shared unseeded instance would give
        # every kernel the same values.
        return keras.initializers.get(keras.initializers.serialize(self.kernel_initializer))

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                "`SqueezeExcitation` needs a known channel count. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        units = max(self.min_units, channels // self.reduction)
        self.squeeze = keras.layers.Conv2D(
            units, 1, activation="relu", kernel_initializer=self._initializer(),
            name="squeeze", dtype=self.dtype_policy,
        )
        self.excite = keras.layers.Conv2D(
            channels, 1, activation="sigmoid", kernel_initializer=self._initializer(),
            name="excite", dtype=self.dtype_policy,
        )
        self.squeeze.build((None, 1, 1, channels))
        self.excite.build((None, 1, 1, units))
        super().build(input_shape)

    def call(self, inputs):
        context = tf.reduce_mean(inputs, axis=[1, 2], keepdims=True)
        return inputs * self.excite(self.squeeze(context))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "reduction": self.reduction,
                "min_units": self.min_units,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
