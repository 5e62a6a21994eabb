"""Tiny Keras models for the export tests (seconds to convert on 2 cores)."""

import tensorflow as tf

from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable


@register_serializable
class ArgMaxChannels(keras.layers.Layer):
    """tf.argmax over channels with int64 output: the GPU delegate refuses it."""

    def call(self, inputs):
        return tf.argmax(inputs, axis=-1)


@register_serializable
class SixDimReshape(keras.layers.Layer):
    """Splits H and W in two: a 6-D tensor, beyond the GPU delegate's rank 4."""

    def call(self, inputs):
        shape = inputs.shape
        x = tf.reshape(inputs, (-1, 2, shape[1] // 2, 2, shape[2] // 2, shape[3]))
        return tf.reshape(x * 2.0, (-1, shape[1], shape[2], shape[3]))


def conv_net(size=16, channels=3, width=32, seed=0):
    """Conv -> ReLU6 -> depthwise -> 1x1 conv -> global pool multiply: ops every
    delegate takes; weights large enough for dynamic-range quantization.

    Seeded initializers: the same weights whatever the test order (under xdist
    the int8 error on noise images ranged 0.017-0.185 over global seeds)."""

    def init(offset):  # seed=None: the global seed decides
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)

    inputs = keras.Input((None, None, channels))
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu6",
                            kernel_initializer=init(0))(inputs)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu",
                                     depthwise_initializer=init(1))(x)
    x = keras.layers.Conv2D(width, 3, padding="same", kernel_initializer=init(2))(x)
    gate = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = keras.layers.Multiply()([x, keras.layers.Activation("sigmoid")(gate)])
    outputs = keras.layers.Conv2D(4, 1, kernel_initializer=init(3))(x)
    return keras.Model(inputs, outputs)


def argmax_net():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    return keras.Model(inputs, ArgMaxChannels()(x))


def six_dim_net():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 1)(inputs)
    return keras.Model(inputs, SixDimReshape()(x))


def runtime_reshape_net():
    """Flattens with Reshape((-1, C)); converted with a dynamic batch, the new
    shape is computed at run time (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE)."""
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 1)(inputs)
    x = keras.layers.Reshape((-1, 4))(x)
    return keras.Model(inputs, keras.layers.Softmax(axis=-1)(x))


def mobilenet_v3_head(size=64):
    """keras.applications MobileNetV3Small (hard-swish, SE blocks) plus a 1x1 conv."""
    backbone = keras.applications.MobileNetV3Small(
        input_shape=(size, size, 3), alpha=0.75, include_top=False, weights=None,
        include_preprocessing=False,
    )
    outputs = keras.layers.Conv2D(4, 1)(backbone.output)
    return keras.Model(backbone.input, outputs)


@register_serializable
class SpatialSumGate(keras.layers.Layer):
    """x * sigmoid(1e-6 * sum of x over H and W): a SUM over H·W that passes 65504 once
    the input's pixels are in 0..255 (32x32 of them), as squeeze-excite gates meet."""

    def call(self, inputs):
        total = tf.reduce_sum(inputs, axis=[1, 2], keepdims=True)
        return inputs * tf.sigmoid(total * 1e-6)


def spatial_sum_net(size=32, bias=0.0):
    """A model built to overflow fp16: its SUM over H·W reaches ~1e5 on 0..255 inputs.
    `bias=-382.5` centres the summed channels (3 * (pixel - 127.5))."""
    inputs = keras.Input((size, size, 3), batch_size=1)
    x = keras.layers.Conv2D(4, 1, kernel_initializer="ones",
                            bias_initializer=keras.initializers.Constant(bias))(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(3, 1)(SpatialSumGate()(x)))


def layer_norm_net(size=16, epsilon=1e-5):
    """Conv -> LayerNormalization over channels with PyTorch's epsilon (1e-5: subnormal in
    fp16) -> conv."""
    inputs = keras.Input((size, size, 3), batch_size=1)
    x = keras.layers.Conv2D(8, 1)(inputs)
    x = keras.layers.LayerNormalization(epsilon=epsilon)(x)
    return keras.Model(inputs, keras.layers.Conv2D(3, 1)(x))


def hot_psa_net(size=64, layout="sequential", variant="paper", seed=1):
    """A conv that feeds PSA activations of a few hundred (0..255 pixels, no
    normalisation), then a 4-class 1x1 conv: what fp16 breaks in a plain LayerNorm."""
    from keras_psa.layers import PolarizedSelfAttention

    inputs = keras.Input((size, size, 3), batch_size=1)
    x = keras.layers.Conv2D(16, 3, padding="same",
                            kernel_initializer=keras.initializers.GlorotUniform(seed=seed))(inputs)
    x = PolarizedSelfAttention(layout, variant, kernel_initializer=keras.initializers.GlorotUniform(
        seed=seed + 1))(x)
    outputs = keras.layers.Conv2D(4, 1, kernel_initializer=keras.initializers.GlorotUniform(
        seed=seed + 2))(x)
    return keras.Model(inputs, outputs)


def near_tie_net(size=32, depth=8, width=16, classes=11, seed=0):
    """Eight random 3x3 convs without normalisation, PSA (float islands in int8), then 11
    class logits: a random-weight net whose labels are near ties on many pixels. In
    int8, XNNPACK's and TFLite's builtin kernels round differently and give the same
    label on only ~97-98.5% of pixels (seeds 0-2 seen): the floor of the label rule."""
    from keras_psa.layers import PolarizedSelfAttention

    def init(offset):
        return keras.initializers.GlorotUniform(seed=seed + offset)

    inputs = keras.Input((size, size, 3), batch_size=1)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    for i in range(depth):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu",
                                kernel_initializer=init(i))(x)
    x = PolarizedSelfAttention("parallel", "paper", kernel_initializer=init(50))(x)
    return keras.Model(inputs, keras.layers.Conv2D(classes, 1, kernel_initializer=init(99))(x))


def fp16_flip_net(size=32, gap=2e-4):
    """Two logits, a pixel's channel sum `a` (0..765 for 0..255 pixels) and
    `a * (1 + gap) - 0.1`: their order is clear in fp32 on every pixel (the gap is
    thousands of fp32 steps), lost in fp16 (its step at 500 is 0.25, beyond the gap)."""
    inputs = keras.Input((size, size, 3), batch_size=1)
    a = keras.layers.Conv2D(1, 1, kernel_initializer="ones", use_bias=False)(inputs)
    b = keras.layers.Rescaling(1 + gap, offset=-0.1)(a)
    return keras.Model(inputs, keras.layers.Concatenate()([a, b]))
