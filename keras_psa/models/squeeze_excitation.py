"""Squeeze-and-Excitation channel attention."""

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable
from keras_psa.layers.quantizable_layer import QuantizableLayer
from keras_psa.models.channel_gate_common import check_positive_ints
from keras_psa.models.channel_gate_common import fresh_initializer
from keras_psa.models.channel_gate_common import gate_sizes


@register_serializable
class SqueezeExcitation(QuantizableLayer):
    """Squeeze-and-Excitation block: channels re-weighted by a gate from global context.

    Built from ops that the TFLite GPU delegate and XNNPACK run: MEAN over the
    constant spatial axes, two 1x1 convolutions, LOGISTIC and a broadcast MUL.
    Under QAT (`keras_psa.quantization.quantize_model`) the pooled context,
    the hidden activation, the gate's logits and the output get int8 ranges,
    so every one of those ops runs in int8.

    Args:
        reduction: int, ratio between the input channels and the bottleneck
            channels of the gate.
        min_units: int, lower bound on the bottleneck channels, so narrow
            feature maps keep a usable gate.
        kernel_initializer: initializer of the two 1x1 convolutions.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, channels)`.
        training: Python boolean; only fake-quantized (QAT) layers use it.

    Output shape: same as the input.

    Example:

    >>> se = SqueezeExcitation(reduction=4)
    >>> tuple(se(np.zeros((1, 8, 8, 32), "float32")).shape)
    (1, 8, 8, 32)

    Reference:
        J. Hu, L. Shen, G. Sun, "Squeeze-and-Excitation Networks", CVPR 2018.
    """

    def __init__(self, reduction=4, min_units=8, kernel_initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        check_positive_ints(reduction=reduction, min_units=min_units)
        self.reduction = reduction
        self.min_units = min_units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels, units = gate_sizes(
            "SqueezeExcitation", input_shape, self.reduction, self.min_units
        )
        self.squeeze = keras.layers.Conv2D(
            units, 1, activation="relu",
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="squeeze", dtype=self.dtype_policy,
        )
        # The sigmoid is applied in `call`: QAT needs the range of the logits
        # before it. The kernel and bias (all that is saved) are the same.
        self.excite = keras.layers.Conv2D(
            channels, 1,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="excite", dtype=self.dtype_policy,
        )
        self._build_sublayer(self.squeeze, (None, 1, 1, channels))
        self._build_sublayer(self.excite, (None, 1, 1, units))
        super().build(input_shape)

    def activation_quantization_points(self):
        return ("context", "hidden", "logits", "output")

    def call(self, inputs, training=None):
        def quantize(name, tensor):
            return self._quantize_activation(name, tensor, training)

        context = quantize("context", ops.mean(inputs, axis=(1, 2), keepdims=True))
        hidden = quantize("hidden", self.squeeze(context))
        gate = self._quantize_probabilities(ops.sigmoid(quantize("logits", self.excite(hidden))))
        return quantize("output", inputs * gate)

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
