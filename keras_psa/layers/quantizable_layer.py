"""Base of the package's layers: float layers with hooks for int8 QAT."""

import tensorflow as tf

from keras_psa.keras_flavor import keras


class _ActivationQuantizers:
    """Holds a layer's fake-quant callables by name.

    A plain object rather than a dict so that neither Keras flavor tracks
    its contents: the range variables are weights of the layer already.
    """

    def __init__(self):
        self.by_name = {}


class QuantizableLayer(keras.layers.Layer):
    """A layer whose intermediate tensors can be fake-quantized for QAT.

    tfmot's QuantizeWrapper sees a layer from outside only: it can quantize
    the layer's weights and its output, but every tensor computed inside
    `call` stays float, and the TFLite converter then leaves those ops as
    float islands between QUANTIZE and DEQUANTIZE. Subclasses therefore
    pass each intermediate tensor whose range the int8 model needs through
    `self._quantize_activation(name, tensor, training)` and list the names
    in `activation_quantization_points()`. The hook is the identity (no
    op, no variable) until `enable_activation_quantization` is called,
    which `keras_psa.quantization` does when it wraps the layer for QAT.

    Outputs of softmax and sigmoid are never passed through the hook: the
    int8 kernels of TFLite fix their output range (scale 1/256, zero point
    -128), and another range would cost a requantize op.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._activation_quantizers = _ActivationQuantizers()

    def activation_quantization_points(self):
        """Names of the intermediate tensors this layer fake-quantizes under QAT."""
        return ()

    def enable_activation_quantization(self, make_quantizer):
        """Turns the activation hooks of this layer and its sublayers into fake-quant ops.

        `make_quantizer(layer, name)` must create the variables it needs on
        `layer` (the layer is built by then) and return a callable
        `(tensor, training) -> tensor`. Calling it again is a no-op.
        """
        if not self.built:
            raise ValueError(
                f"{type(self).__name__} must be built before its activations can be "
                "quantized. Call it on an input or call `build()` first."
            )
        for name in self.activation_quantization_points():
            if name not in self._activation_quantizers.by_name:
                self._activation_quantizers.by_name[name] = make_quantizer(self, name)
        for sublayer in self._flatten_layers(include_self=False, recursive=False):
            if isinstance(sublayer, QuantizableLayer):
                sublayer.enable_activation_quantization(make_quantizer)

    @property
    def activation_quantization_enabled(self):
        return bool(self._activation_quantizers.by_name)

    def _quantize_activation(self, name, tensor, training=None):
        """Fake-quantizes intermediate `name` once QAT enabled it; identity before."""
        quantizer = self._activation_quantizers.by_name.get(name)
        if quantizer is None:
            return tensor
        # The fake-quant op computes in float32; keep the tensor's dtype.
        return tf.cast(quantizer(tensor, training), tensor.dtype)
