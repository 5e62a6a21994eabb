"""DepthwiseConv2D whose atrous form converts to TFLite's dilated DEPTHWISE_CONV_2D."""

import contextlib
import contextvars

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable

_CONVERTING = contextvars.ContextVar("keras_psa_native_dilation", default=False)


@contextlib.contextmanager
def native_dilation_scope():
    """Within it, `DilatedDepthwiseConv2D` emits the native dilated op on every machine.

    For tracing a graph to convert, not to run: where TensorFlow's CPU kernel
    lacks dilations, a model called inside the scope raises UnimplementedError.
    Also a decorator.

    Example:

    ```python
    with native_dilation_scope():
        tflite_bytes = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    ```
    """
    token = _CONVERTING.set(True)
    try:
        yield
    finally:
        _CONVERTING.reset(token)


@register_serializable
class DilatedDepthwiseConv2D(keras.layers.DepthwiseConv2D):
    """`DepthwiseConv2D` that keeps its dilation in the TensorFlow op it emits.

    `tf.nn.depthwise_conv2d` (what Keras' `DepthwiseConv2D` calls in both
    flavors) implements a dilation rate above 1 as SPACE_TO_BATCH_ND, an
    undilated convolution and BATCH_TO_SPACE_ND. The TFLite converter folds
    that triple back into one dilated convolution only when it knows every
    dimension, so Keras 3's `model.export(format="litert")` and the plain
    `TFLiteConverter` of a model with a dynamic batch or size keep the two
    reshuffling ops, which the GPU delegate rejects and which split XNNPACK's
    partition. This layer calls `DepthwiseConv2dNative` with its `dilations`
    attribute instead, which the converter lowers to one DEPTHWISE_CONV_2D
    with dilation factors whatever the shapes.

    Only TensorFlow's oneDNN CPU kernel runs that op with dilations (oneDNN is
    on by default on x86 CPUs with AVX-512; not on other x86 CPUs, nor on
    ARM). Where it does not run, the layer computes as `DepthwiseConv2D` and
    emits the native op only while a graph is traced for conversion: inside
    `native_dilation_scope()`, which the package's converters (`convert_model`,
    `keras-psa-convert`, QAT export) enter themselves. Wrap a plain
    `TFLiteConverter` or `model.export(format="litert")` in it for the same
    one-op file on every machine.

    The arguments, weights (same names, shapes and order), config and outputs
    are those of `DepthwiseConv2D`; only the class name in a saved file
    differs. Without dilation, with `data_format="channels_first"`
    (which the CPU kernel of the native op does not run), or under a Keras
    backend other than TensorFlow (whose convolutions take the dilation
    themselves), it calls `DepthwiseConv2D` itself.

    Args:
        *args: `keras.layers.DepthwiseConv2D` arguments (`kernel_size`,
            `strides`, `padding`, `depth_multiplier`, `dilation_rate`, ...).
        **kwargs: `keras.layers.DepthwiseConv2D` keyword arguments.

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, channels)`.

    Output shape: that of `DepthwiseConv2D` with the same arguments.

    Example:

    >>> layer = DilatedDepthwiseConv2D(3, padding="same", dilation_rate=6)
    >>> tuple(layer(np.zeros((1, 16, 16, 8), "float32")).shape)
    (1, 16, 16, 8)

    Reference:
        L.-C. Chen et al., "Rethinking Atrous Convolution for Semantic Image
        Segmentation", arXiv:1706.05587, 2017.
    """

    def _kernel(self):
        # tfmot's QuantizeWrapper replaces `depthwise_kernel` (tf_keras' name)
        # with the fake-quantized kernel before calling the layer.
        return self.depthwise_kernel if USING_TF_KERAS else self.kernel

    def call(self, inputs):
        dilation = tuple(self.dilation_rate)
        if (
            dilation == (1, 1)
            or self.data_format == "channels_first"
            or not ops.TENSORFLOW_BACKEND
            or not (_CONVERTING.get() or ops.native_dilation_runs())
        ):
            return super().call(inputs)
        kernel = ops.cast(self._kernel(), inputs.dtype)
        outputs = ops.depthwise_conv2d_dilated(
            inputs, kernel, tuple(self.strides), self.padding, dilation
        )
        if self.use_bias:
            outputs = ops.bias_add(outputs, ops.cast(self.bias, outputs.dtype))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs
