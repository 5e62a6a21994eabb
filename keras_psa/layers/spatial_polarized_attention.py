from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import register_serializable
from keras_psa.layers import psa_ops
from keras_psa.layers.base_polarized_attention import BasePolarizedAttention


@register_serializable
class SpatialPolarizedAttention(BasePolarizedAttention):
    """Spatial-only branch of Polarized Self-Attention.

    Collapses channels: a global descriptor `g = softmax_{C/2}(W_q GAP(x))`
    weights the C/2 value channels `W_v x` at every pixel, and the sum over
    those channels gives a sigmoid gate per pixel, output `x * m`. With
    `variant="official"` it follows DeLightCMU's PSA.py: no softmax on `g`;
    in the parallel layout a softmax over H*W of the weighted sum before the
    sigmoid, in the sequential one a softmax over H*W of each value channel
    before the weighted sum.

    Global average pooling is applied before `W_q` (exactly equal for a 1x1
    convolution, and it runs once per image instead of once per pixel).

    Args:
        layout: which PSA module's form of the branch to use: `"parallel"`
            (PSA_p) or `"sequential"` (PSA_s). The paper's branch is the same
            in both.
        variant: `"paper"` or `"official"`.
        use_bias, epsilon, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, gamma_initializer,
        beta_initializer, gamma_regularizer, beta_regularizer: see
            `PolarizedSelfAttention` (this branch has no LayerNorm).
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, channels)`.
        training: Python boolean; only fake-quantized (QAT) layers use it.

    Input shape:
        4-D tensor `(batch, height, width, channels)`, channels >= 2.

    Output shape:
        Same as the input.

    Example:

    >>> x = keras.Input((None, None, 64))
    >>> y = SpatialPolarizedAttention()(x)

    Reference:
        Liu et al., "Polarized Self-Attention: Towards High-quality
        Pixel-wise Regression", arXiv:2107.00782, eq. 3-4.
    """

    def build(self, input_shape):
        channels = self._channels(input_shape)
        inner = channels // 2
        self.query_conv = self._conv(inner, "query_conv")
        self.value_conv = self._conv(inner, "value_conv")
        self._build_sublayer(self.query_conv, (None, 1, 1, channels))
        self._build_sublayer(self.value_conv, (None, None, None, channels))
        self.built = True

    def activation_quantization_points(self):
        points = ["pooled", "query", "value"]
        if self.official_sequential:
            points += [f"softmax_{name}" for name in psa_ops.SOFTMAX_PER_CHANNEL_POINTS]
            points += ["scaled_query"]
        points += ["weighted", "logits", "output"]
        return tuple(points)

    def spatial_weights(self, inputs, training=None):
        """Returns the sigmoid spatial gate `m`, shape (batch, height, width, 1)."""

        def quantize(name, tensor):
            return self._quantize_activation(name, tensor, training)

        def softmax_quantize(name, tensor):
            return quantize(f"softmax_{name}", tensor)

        if self.activation_quantization_enabled:  # the int8 graph keeps its one MEAN
            pooled = ops.mean(inputs, axis=(1, 2), keepdims=True)
        else:
            pooled = psa_ops.mean_over_space(inputs)
        pooled = quantize("pooled", pooled)
        query = quantize("query", self.query_conv(pooled))
        value = quantize("value", self.value_conv(inputs))
        if self.variant == "paper":
            query = ops.cast(ops.softmax(ops.cast(query, "float32"), axis=-1), inputs.dtype)
            query = self._quantize_probabilities(query)
            weighted = quantize("weighted", value * query)
            logits = quantize("logits", ops.sum(weighted, axis=-1, keepdims=True))
        elif self.layout == "parallel":
            weighted = quantize("weighted", value * query)
            logits = quantize("logits", ops.sum(weighted, axis=-1, keepdims=True))
            logits = self._quantize_probabilities(psa_ops.softmax_over_space(logits))
        else:
            exp_shifted, total = psa_ops.softmax_over_space_per_channel(value, softmax_quantize)
            query = quantize("scaled_query", ops.cast(query, "float32") / total)
            weighted = quantize("weighted", exp_shifted * query)
            logits = quantize("logits", ops.sum(weighted, axis=-1, keepdims=True))
        return self._quantize_probabilities(ops.sigmoid(ops.cast(logits, inputs.dtype)))

    def call(self, inputs, training=None):
        self._check_dtype(inputs)
        gated = inputs * self.spatial_weights(inputs, training)
        return self._quantize_activation("output", gated, training)
