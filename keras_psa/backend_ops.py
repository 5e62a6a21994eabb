"""The ops the package's layers call: `keras.ops` under Keras 3, TensorFlow under tf_keras.

Layers must run under Keras 3 on every backend (TensorFlow, JAX, PyTorch) and
under tf_keras (Keras 2, which tensorflow-model-optimization needs), which has
no `keras.ops`. Each function here has the name and arguments of its
`keras.ops` namesake, so a layer's `call` reads the same in both flavors and
imports no backend itself. Under Keras 3 most of them are `keras.ops`
themselves.

Three ops stay TensorFlow ops whenever the backend is TensorFlow, because the
TFLite graph depends on them: `argmax` (Keras 3's adds a -0.0 fix, three more
ops), `resize_like` (`keras.ops.image.resize` needs a size known when tracing;
dynamic-size models have none), and the dilated depthwise convolution (see
`DilatedDepthwiseConv2D`). Fake quantization (QAT) exists only in TensorFlow.
"""

import functools

from keras_psa.keras_flavor import BACKEND
from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras

TENSORFLOW_BACKEND = BACKEND == "tensorflow"

if TENSORFLOW_BACKEND:
    import tensorflow as tf

if USING_TF_KERAS:

    def cast(x, dtype):
        return tf.cast(x, dtype)

    def convert_to_tensor(x, dtype=None):
        return tf.convert_to_tensor(x, dtype)

    def shape(x):
        # Static sizes as ints, unknown ones as scalar tensors: what
        # `keras.ops.shape` returns under Keras 3's TensorFlow backend.
        x = x if tf.is_tensor(x) else tf.convert_to_tensor(x)
        dynamic = tf.shape(x)
        return tuple(
            dynamic[i] if size is None else size for i, size in enumerate(x.shape.as_list())
        )

    def reshape(x, newshape):
        return tf.reshape(x, newshape)

    def squeeze(x, axis=None):
        return tf.squeeze(x, axis)

    def broadcast_to(x, shape):
        return tf.broadcast_to(x, shape)

    def ones_like(x, dtype=None):
        return tf.ones_like(x, dtype)

    def concatenate(xs, axis=0):
        return tf.concat(xs, axis)

    def sum(x, axis=None, keepdims=False):  # noqa: A001
        return tf.reduce_sum(x, axis=axis, keepdims=keepdims)

    def mean(x, axis=None, keepdims=False):
        return tf.reduce_mean(x, axis=axis, keepdims=keepdims)

    def max(x, axis=None, keepdims=False):  # noqa: A001
        return tf.reduce_max(x, axis=axis, keepdims=keepdims)

    def maximum(x1, x2):
        return tf.maximum(x1, x2)

    def absolute(x):
        return tf.abs(x)

    def exp(x):
        return tf.exp(x)

    def square(x):
        return tf.square(x)

    def rsqrt(x):
        return tf.math.rsqrt(x)

    def divide_no_nan(x1, x2):
        return tf.math.divide_no_nan(x1, x2)

    def equal(x1, x2):
        return tf.equal(x1, x2)

    def not_equal(x1, x2):
        return tf.not_equal(x1, x2)

    def softmax(x, axis=-1):
        return tf.nn.softmax(x, axis=axis)

    def sigmoid(x):
        return tf.sigmoid(x)

    def relu(x):
        return tf.nn.relu(x)

    def relu6(x):
        return tf.nn.relu6(x)

    def is_float_dtype(dtype):
        return tf.as_dtype(dtype).is_floating

    def name_scope(name):
        return tf.name_scope(name)

else:
    from keras.ops import absolute  # noqa: F401
    from keras.ops import broadcast_to  # noqa: F401
    from keras.ops import cast  # noqa: F401
    from keras.ops import concatenate  # noqa: F401
    from keras.ops import convert_to_tensor  # noqa: F401
    from keras.ops import divide_no_nan  # noqa: F401
    from keras.ops import equal  # noqa: F401
    from keras.ops import exp  # noqa: F401
    from keras.ops import max  # noqa: F401,A004
    from keras.ops import maximum  # noqa: F401
    from keras.ops import mean  # noqa: F401
    from keras.ops import not_equal  # noqa: F401
    from keras.ops import ones_like  # noqa: F401
    from keras.ops import relu  # noqa: F401
    from keras.ops import relu6  # noqa: F401
    from keras.ops import reshape  # noqa: F401
    from keras.ops import rsqrt  # noqa: F401
    from keras.ops import shape  # noqa: F401
    from keras.ops import sigmoid  # noqa: F401
    from keras.ops import softmax  # noqa: F401
    from keras.ops import square  # noqa: F401
    from keras.ops import squeeze  # noqa: F401
    from keras.ops import sum  # noqa: F401,A004

    def is_float_dtype(dtype):
        return "float" in keras.backend.standardize_dtype(dtype)


def argmax(x, axis=-1):
    """Index of the largest value along `axis`, as int32."""
    if TENSORFLOW_BACKEND:
        return tf.argmax(x, axis=axis, output_type=tf.int32)
    return keras.ops.cast(keras.ops.argmax(x, axis=axis), "int32")


def resize_like(images, reference, interpolation="bilinear"):
    """Resizes NHWC `images` to the height and width of `reference`, half-pixel centers.

    Under TensorFlow the size is `tf.shape(reference)[1:3]`, dynamic shapes
    included; the graph then has one RESIZE_BILINEAR or RESIZE_NEAREST_NEIGHBOR
    op, with a constant size once the shapes are static.
    """
    if TENSORFLOW_BACKEND:
        return tf.image.resize(images, tf.shape(reference)[1:3], method=interpolation)
    size = tuple(int(s) for s in keras.ops.shape(reference)[1:3])
    return keras.ops.image.resize(
        images, size, interpolation=interpolation, data_format="channels_last"
    )


def fake_quant_with_min_max_args(x, min, max, num_bits=8, narrow_range=False):  # noqa: A002
    """TensorFlow's fake quantization with a fixed range (QAT only)."""
    require_fake_quant()
    return tf.quantization.fake_quant_with_min_max_args(
        x, min=min, max=max, num_bits=num_bits, narrow_range=narrow_range
    )


def require_fake_quant():
    """Raises a RuntimeError naming the fix unless fake-quant ops exist here."""
    if not TENSORFLOW_BACKEND:
        raise RuntimeError(
            "Quantization-aware training (fake-quant ops) needs the TensorFlow backend "
            "(tensorflow-model-optimization, tf_keras); it is not available under "
            f"{BACKEND}. Train the float model here, save it as `.keras`, and run QAT in "
            "a process started with KERAS_BACKEND=tensorflow TF_USE_LEGACY_KERAS=1. "
            f"Received: backend={BACKEND!r}"
        )


def depthwise_conv2d_dilated(inputs, kernel, strides, padding, dilations):
    """TensorFlow's DepthwiseConv2dNative with its `dilations` attribute (TF only).

    Only oneDNN's CPU kernel runs it with dilations (`native_dilation_runs`); every
    build's TFLite converter lowers it.
    """
    return tf.raw_ops.DepthwiseConv2dNative(
        input=inputs,
        filter=kernel,
        strides=[1, *strides, 1],
        padding=padding.upper(),
        dilations=[1, *dilations, 1],
    )


@functools.cache
def native_dilation_runs():
    """Whether TensorFlow here runs DepthwiseConv2dNative with dilations.

    Its oneDNN kernel does; the Eigen kernel of builds and CPUs without oneDNN
    (TensorFlow turns it on by default only on x86 CPUs with AVX-512, and never on
    ARM) raises UnimplementedError. Found once, on a 5x5 image.
    """
    with tf.init_scope():  # an eager probe, also when called while a graph is traced
        try:
            depthwise_conv2d_dilated(tf.ones((1, 5, 5, 1)), tf.ones((3, 3, 1, 1)), (1, 1),
                                     "same", (2, 2))
        except tf.errors.UnimplementedError:
            return False
    return True


def bias_add(x, bias):
    """Adds `bias` on the last axis (TensorFlow's BiasAdd under TensorFlow)."""
    if TENSORFLOW_BACKEND:
        return tf.nn.bias_add(x, bias)
    return x + bias
