"""Argument checks and sizing shared by the SE and CBAM channel gates."""

from keras_psa.keras_flavor import keras


def check_positive_ints(**values):
    for arg, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be a positive int. Received: {arg}={value!r}")


def fresh_initializer(initializer):
    # A fresh instance per convolution: a shared unseeded instance would give
    # every kernel the same values.
    return keras.initializers.get(keras.initializers.serialize(initializer))


def gate_sizes(layer_name, input_shape, reduction, min_units):
    """Returns (channels, hidden units) of a channel gate for `input_shape`."""
    channels = input_shape[-1]
    if channels is None:
        raise ValueError(
            f"`{layer_name}` needs a known channel count. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    return channels, max(min_units, channels // reduction)
