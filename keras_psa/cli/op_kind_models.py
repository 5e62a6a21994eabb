"""Single-op-kind models for benchmark.py --op-kinds: which kinds of op int8 speeds up.

Each model stacks one kind of MobileNetV3 op (at the shapes MobileNetV3-Small with an
LR-ASPP head has at 256x256) so that its float32-vs-int8 latency on XNNPACK shows how
much int8 gains for that kind on the machine at hand. A backbone's int8 speed-up is
bounded by these: the kinds int8 does not speed up cap the whole model's gain.
"""

import re

# (name, input shape HWC, layers of the stack, int8 input/output). int8 models take
# and return int8 tensors except where the float output is the point.
OP_KINDS = (
    ("Conv2D 1x1", (32, 32, 72), 4, True),
    ("Conv2D 3x3", (64, 64, 16), 4, True),
    ("DepthwiseConv2D 3x3", (64, 64, 16), 4, True),
    ("DepthwiseConv2D 5x5", (16, 16, 96), 4, True),
    ("Conv2D 1x1 + hard-swish", (32, 32, 72), 4, True),
    ("Add", (32, 32, 24), 4, True),
    ("Multiply by a sigmoid channel gate", (16, 16, 96), 4, True),
    ("bilinear resize x8 (logits)", (32, 32, 21), 1, True),
    ("bilinear resize x8 + float output", (32, 32, 21), 1, False),
)


def _layer(name, keras, x, skip):
    if name == "Conv2D 1x1":
        return keras.layers.Conv2D(x.shape[-1], 1)(x)
    if name == "Conv2D 3x3":
        return keras.layers.Conv2D(x.shape[-1], 3, padding="same")(x)
    if name.startswith("DepthwiseConv2D"):
        size = int(name.split()[-1][0])
        return keras.layers.DepthwiseConv2D(size, padding="same")(x)
    if name == "Conv2D 1x1 + hard-swish":
        # Alone in a model a hard-swish has nothing int8 beside it; after a 1x1
        # convolution it is what MobileNetV3 has (compare with the plain row).
        return keras.layers.Activation("hard_swish")(keras.layers.Conv2D(x.shape[-1], 1)(x))
    if name == "Add":
        return keras.layers.Add()([x, skip])
    if name == "Multiply by a sigmoid channel gate":
        gate = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
        gate = keras.layers.Activation("sigmoid")(gate)
        return keras.layers.Multiply()([x, gate])
    if name.startswith("bilinear resize x8"):
        return keras.layers.UpSampling2D(8, interpolation="bilinear")(x)
    raise ValueError(f"`name` must be one of {[kind[0] for kind in OP_KINDS]}. "
                     f"Received: name={name!r}")


def op_kind_model(name, shape, depth):
    """A Functional model of `depth` layers of the op kind `name` on a `shape` input."""
    from keras_psa.keras_flavor import keras

    inputs = keras.Input(shape, batch_size=1)
    x = inputs
    for _ in range(depth):
        x = _layer(name, keras, x, inputs)
    return keras.Model(inputs, x, name=re.sub(r"\W+", "_", name).strip("_"))
