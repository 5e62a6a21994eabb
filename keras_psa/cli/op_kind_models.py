"""Single-op-kind models for benchmark.py --op-kinds: which kinds of op int8 speeds up.

Each model stacks one kind of MobileNetV3 op (at the shapes MobileNetV3-Small with an
LR-ASPP head has at 256x256) so that its float32-vs-int8 latency on XNNPACK shows how
much int8 gains for that kind on the machine at hand. A backbone's int8 speed-up is
bounded by these: the kinds int8 does not speed up cap the whole model's gain.
"""

import functools
import re


def _conv(kernel_size, keras, x, skip):
    return keras.layers.Conv2D(x.shape[-1], kernel_size, padding="same")(x)


def _depthwise(kernel_size, keras, x, skip):
    return keras.layers.DepthwiseConv2D(kernel_size, padding="same")(x)


def _conv_hard_swish(keras, x, skip):
    # Alone in a model a hard-swish has nothing int8 beside it; after a 1x1
    # convolution it is what MobileNetV3 has (compare with the plain row).
    return keras.layers.Activation("hard_swish")(keras.layers.Conv2D(x.shape[-1], 1)(x))


def _add(keras, x, skip):
    return keras.layers.Add()([x, skip])


def _channel_gate(keras, x, skip):
    gate = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    return keras.layers.Multiply()([x, keras.layers.Activation("sigmoid")(gate)])


def _resize_x8(keras, x, skip):
    return keras.layers.UpSampling2D(8, interpolation="bilinear")(x)


# (name, input shape HWC, layers of the stack, int8 input/output, layer builder
# `(keras, x, skip) -> y`). int8 models take and return int8 tensors except where
# the float output is the point.
OP_KINDS = (
    ("Conv2D 1x1", (32, 32, 72), 4, True, functools.partial(_conv, 1)),
    ("Conv2D 3x3", (64, 64, 16), 4, True, functools.partial(_conv, 3)),
    ("DepthwiseConv2D 3x3", (64, 64, 16), 4, True, functools.partial(_depthwise, 3)),
    ("DepthwiseConv2D 5x5", (16, 16, 96), 4, True, functools.partial(_depthwise, 5)),
    ("Conv2D 1x1 + hard-swish", (32, 32, 72), 4, True, _conv_hard_swish),
    ("Add", (32, 32, 24), 4, True, _add),
    ("Multiply by a sigmoid channel gate", (16, 16, 96), 4, True, _channel_gate),
    ("bilinear resize x8 (logits)", (32, 32, 21), 1, True, _resize_x8),
    ("bilinear resize x8 + float output", (32, 32, 21), 1, False, _resize_x8),
)
_BUILDERS = {kind[0]: kind[4] for kind in OP_KINDS}


def op_kind_model(name, shape, depth):
    """A Functional model of `depth` layers of the op kind `name` on a `shape` input."""
    from keras_psa.keras_flavor import keras

    if name not in _BUILDERS:
        raise ValueError(f"`name` must be one of {list(_BUILDERS)}. Received: name={name!r}")
    inputs = keras.Input(shape, batch_size=1)
    x = inputs
    for _ in range(depth):
        x = _BUILDERS[name](keras, x, inputs)
    return keras.Model(inputs, x, name=re.sub(r"\W+", "_", name).strip("_"))
