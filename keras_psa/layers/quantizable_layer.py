"""Base of the package's layers: float layers with hooks for int8 QAT."""

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras

# The output grid of TFLite's int8 SOFTMAX and LOGISTIC: scale 1/256, zero
# point -128, i.e. the range [0, 255/256].
PROBABILITY_RANGE = (0.0, 255.0 / 256.0)


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

    Outputs of softmax and sigmoid go through `_quantize_probabilities`
    instead: the int8 kernels of TFLite fix their output grid (scale 1/256,
    zero point -128), so QAT rounds them to that grid rather than learn a
    range (another range would cost a requantize op, and a float softmax
    would let QAT train on weights that the int8 model rounds away: over
    256 positions the mean weight is one step).
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
        # Fake-quant ops are TensorFlow's: say so here rather than fail later
        # inside a traced `call`.
        ops.require_fake_quant()
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

    def output_range_variables(self):
        """(min, max) variables of the range the layer's output is quantized to
        under QAT, or None (QAT not enabled, or no such range)."""
        quantizer = self._activation_quantizers.by_name.get("output")
        return getattr(quantizer, "range_variables", None)

    def _quantize_activation(self, name, tensor, training=None):
        """Fake-quantizes intermediate `name` once QAT enabled it; identity before."""
        quantizer = self._activation_quantizers.by_name.get(name)
        if quantizer is None:
            return tensor
        # The fake-quant op computes in float32; keep the tensor's dtype.
        return ops.cast(quantizer(tensor, training), tensor.dtype)

    def _quantize_probabilities(self, tensor):
        """Rounds a softmax or sigmoid output to TFLite's fixed int8 grid once QAT
        enabled this layer's hooks; identity before."""
        if not self.activation_quantization_enabled:
            return tensor
        low, high = PROBABILITY_RANGE
        rounded = ops.fake_quant_with_min_max_args(
            ops.cast(tensor, "float32"), min=low, max=high, num_bits=8, narrow_range=False
        )
        return ops.cast(rounded, tensor.dtype)

    @staticmethod
    def _build_sublayer(layer, input_shape):
        # tf_keras names variables from the active name scope, which only
        # `__call__` opens; without it every kernel is "kernel:0" and the
        # h5 format refuses the duplicates.
        if USING_TF_KERAS:
            with ops.name_scope(layer.name):
                layer.build(input_shape)
        else:
            layer.build(input_shape)
