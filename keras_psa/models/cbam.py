"""Convolutional Block Attention Module (channel then spatial attention)."""

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable
from keras_psa.layers.quantizable_layer import QuantizableLayer
from keras_psa.models.channel_gate_common import check_positive_ints
from keras_psa.models.channel_gate_common import fresh_initializer
from keras_psa.models.channel_gate_common import gate_sizes


@register_serializable
class CBAM(QuantizableLayer):
    """Convolutional Block Attention Module: channel attention, then spatial attention.

    Channel attention passes the average- and max-pooled descriptors through a
    shared two-layer 1x1-convolution MLP and gates the channels with the sigmoid
    of their sum. Spatial attention convolves the channel-wise mean and max maps
    with a `spatial_kernel_size` x `spatial_kernel_size` kernel and gates every
    position. Every op (MEAN and REDUCE_MAX over constant axes, CONCATENATION,
    CONV_2D, LOGISTIC, broadcast MUL) runs on the TFLite GPU delegate and XNNPACK.
    Under QAT (`keras_psa.quantization.quantize_model`) every tensor between
    those ops gets an int8 range, so all of them run in int8 without a
    requantize.

    Args:
        reduction: int, ratio between the input channels and the MLP's hidden
            channels.
        min_units: int, lower bound on the MLP's hidden channels.
        spatial_kernel_size: int, size of the spatial-attention convolution
            (7 in the paper).
        kernel_initializer: initializer of the convolutions.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, channels)`.
        training: Python boolean; only fake-quantized (QAT) layers use it.

    Output shape: same as the input.

    Example:

    >>> cbam = CBAM(reduction=8)
    >>> tuple(cbam(np.zeros((1, 8, 8, 32), "float32")).shape)
    (1, 8, 8, 32)

    Reference:
        S. Woo, J. Park, J.-Y. Lee, I. S. Kweon, "CBAM: Convolutional Block
        Attention Module", ECCV 2018.
    """

    def __init__(
        self,
        reduction=8,
        min_units=8,
        spatial_kernel_size=7,
        kernel_initializer="he_normal",
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_ints(
            reduction=reduction, min_units=min_units, spatial_kernel_size=spatial_kernel_size
        )
        self.reduction = reduction
        self.min_units = min_units
        self.spatial_kernel_size = spatial_kernel_size
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels, units = gate_sizes("CBAM", input_shape, self.reduction, self.min_units)
        self.mlp_hidden = keras.layers.Conv2D(
            units, 1, activation="relu",
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="mlp_hidden", dtype=self.dtype_policy,
        )
        self.mlp_out = keras.layers.Conv2D(
            channels, 1,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="mlp_out", dtype=self.dtype_policy,
        )
        self.spatial_conv = keras.layers.Conv2D(
            1, self.spatial_kernel_size, padding="same",
            kernel_initializer=fresh_initializer(self.kernel_initializer), name="spatial_conv",
            dtype=self.dtype_policy,
        )
        self._build_sublayer(self.mlp_hidden, (None, 1, 1, channels))
        self._build_sublayer(self.mlp_out, (None, 1, 1, units))
        self._build_sublayer(self.spatial_conv, (None, None, None, 2))
        super().build(input_shape)

    def activation_quantization_points(self):
        return (
            "avg", "avg_hidden", "avg_out", "peak_hidden", "peak_out", "channel_logits",
            "gated", "spatial_logits", "output",
        )

    def call(self, inputs, training=None):
        def quantize(name, tensor):
            return self._quantize_activation(name, tensor, training)

        avg = quantize("avg", ops.mean(inputs, axis=(1, 2), keepdims=True))
        # A maximum keeps the scale of its input in int8: no range of its own.
        peak = ops.max(inputs, axis=(1, 2), keepdims=True)
        avg = quantize("avg_out", self.mlp_out(quantize("avg_hidden", self.mlp_hidden(avg))))
        peak = quantize("peak_out", self.mlp_out(quantize("peak_hidden", self.mlp_hidden(peak))))
        channel_gate = ops.sigmoid(quantize("channel_logits", avg + peak))
        x = quantize("gated", inputs * self._quantize_probabilities(channel_gate))
        # No range for the channel mean either: int8 CONCATENATION needs one
        # scale for all its inputs, and the maximum's (that of `x`, which
        # holds the mean too) is the only one that clips nothing. A range of
        # its own would make the converter requantize the maximum into it.
        pooled = ops.concatenate(
            [ops.mean(x, axis=-1, keepdims=True), ops.max(x, axis=-1, keepdims=True)],
            axis=-1,
        )
        gate = self._quantize_probabilities(
            ops.sigmoid(quantize("spatial_logits", self.spatial_conv(pooled)))
        )
        return quantize("output", x * gate)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "reduction": self.reduction,
                "min_units": self.min_units,
                "spatial_kernel_size": self.spatial_kernel_size,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
