from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import register_serializable
from keras_psa.layers import psa_ops
from keras_psa.layers.base_polarized_attention import OFFICIAL_UP_INITIALIZER
from keras_psa.layers.base_polarized_attention import BasePolarizedAttention


@register_serializable
class ChannelPolarizedAttention(BasePolarizedAttention):
    """Channel-only branch of Polarized Self-Attention.

    Collapses space with a softmax-weighted sum, keeps C/2 channels in the
    bottleneck and reweights each input channel by a sigmoid gate:
    `a = sigmoid(LayerNorm(W_z(sum_{H,W}(softmax_{H,W}(W_q x) * W_v x))))`,
    output `x * a`. With `variant="official"` it follows DeLightCMU's PSA.py:
    no LayerNorm for the parallel layout, and a `C/2 -> C/8 -> C` bottleneck
    with LayerNorm and ReLU for the sequential one.

    Because the softmax weights sum to one, `W_v` is applied after the
    weighted sum (exactly equal, and the per-pixel C x C/2 convolution
    becomes a per-image one).

    Args:
        layout: which PSA module's form of the branch to use: `"parallel"`
            (PSA_p) or `"sequential"` (PSA_s). The paper's branch is the same
            in both.
        variant: `"paper"` or `"official"`.
        use_bias, epsilon, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, gamma_initializer,
        beta_initializer, gamma_regularizer, beta_regularizer: see
            `PolarizedSelfAttention`.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, channels)`.
        training: Python boolean; only fake-quantized (QAT) layers use it.

    Input shape:
        4-D tensor `(batch, height, width, channels)`, channels >= 2
        (>= 8 for the official sequential form).

    Output shape:
        Same as the input.

    Example:

    >>> x = keras.Input((None, None, 64))
    >>> y = ChannelPolarizedAttention()(x)

    Reference:
        Liu et al., "Polarized Self-Attention: Towards High-quality
        Pixel-wise Regression", arXiv:2107.00782, eq. 1-2.
    """

    def build(self, input_shape):
        min_channels = 8 if self.official_sequential else 2
        channels = self._channels(input_shape, min_channels)
        inner = channels // 2
        self.query_conv = self._conv(1, "query_conv")
        self.value_conv = self._conv(inner, "value_conv")
        self._build_sublayer(self.query_conv, (None, None, None, channels))
        self._build_sublayer(self.value_conv, (None, 1, 1, channels))
        if self.official_sequential:
            hidden = inner // 4
            self.up_conv = self._conv(hidden, "up_conv", OFFICIAL_UP_INITIALIZER, use_bias=True)
            self.out_conv = self._conv(channels, "out_conv", OFFICIAL_UP_INITIALIZER, use_bias=True)
            self._build_sublayer(self.up_conv, (None, 1, 1, inner))
            self._build_sublayer(self.out_conv, (None, 1, 1, hidden))
            self.gamma, self.beta = self._layer_norm_weights(hidden)
        else:
            self.up_conv = self._conv(channels, "up_conv", OFFICIAL_UP_INITIALIZER)
            self._build_sublayer(self.up_conv, (None, 1, 1, inner))
            if self.variant == "paper":
                self.gamma, self.beta = self._layer_norm_weights(channels)
        self.built = True

    def activation_quantization_points(self):
        points = ["query", "weighted", "context", "value", "up"]
        if self.official_sequential:
            points += [f"norm_{name}" for name in psa_ops.LAYER_NORM_POINTS]
            points += ["relu", "out"]
        elif self.variant == "paper":
            points += [f"norm_{name}" for name in psa_ops.LAYER_NORM_POINTS]
        return tuple(points + ["output"])

    def channel_weights(self, inputs, training=None):
        """Returns the sigmoid channel gate `a`, shape (batch, 1, 1, channels)."""

        def quantize(name, tensor):
            return self._quantize_activation(name, tensor, training)

        norm_quantize = None
        if self.activation_quantization_enabled:

            def norm_quantize(name, tensor):
                return quantize(f"norm_{name}", tensor)

        weights = psa_ops.softmax_over_space(quantize("query", self.query_conv(inputs)))
        weights = self._quantize_probabilities(ops.cast(weights, inputs.dtype))
        context = ops.sum(quantize("weighted", inputs * weights), axis=(1, 2), keepdims=True)
        context = quantize("value", self.value_conv(quantize("context", context)))
        context = quantize("up", self.up_conv(context))
        if self.official_sequential:
            context = psa_ops.layer_norm_last_axis(
                context, self.gamma, self.beta, self.epsilon, norm_quantize
            )
            context = quantize("relu", ops.relu(ops.cast(context, inputs.dtype)))
            context = quantize("out", self.out_conv(context))
        elif self.variant == "paper":
            context = psa_ops.layer_norm_last_axis(
                context, self.gamma, self.beta, self.epsilon, norm_quantize
            )
        return self._quantize_probabilities(ops.sigmoid(ops.cast(context, inputs.dtype)))

    def call(self, inputs, training=None):
        self._check_dtype(inputs)
        gated = inputs * self.channel_weights(inputs, training)
        return self._quantize_activation("output", gated, training)
