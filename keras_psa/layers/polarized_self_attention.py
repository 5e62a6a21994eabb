from keras_psa.keras_flavor import register_serializable
from keras_psa.layers.base_polarized_attention import BasePolarizedAttention
from keras_psa.layers.channel_polarized_attention import ChannelPolarizedAttention
from keras_psa.layers.spatial_polarized_attention import SpatialPolarizedAttention


@register_serializable
class PolarizedSelfAttention(BasePolarizedAttention):
    """Polarized Self-Attention (PSA) block.

    Combines a channel-only and a spatial-only attention branch, each keeping
    high internal resolution (C/2 channels, full H x W) and ending in a
    sigmoid gate. `layout="parallel"` sums both branches applied to the
    input; `layout="sequential"` applies the spatial branch to the output of
    the channel branch. No (HW x HW) map is formed: the cost is a few 1x1
    convolutions plus O(H*W*C).

    `variant="paper"` implements the paper's equations (LayerNorm in the
    channel branch, softmax over the spatial query). `variant="official"`
    reproduces DeLightCMU's PSA_p / PSA_s (semantic-segmentation/network/
    PSA.py) exactly, quirks included: bias-free convolutions, no LayerNorm
    in PSA_p, the C/2 -> C/8 -> C bottleneck in PSA_s, the softmax over H*W
    placed after the product (PSA_p) or on each value channel (PSA_s), and
    kaiming fan-in initialisation. Weights trained in PyTorch load with
    `keras_psa.load_torch_state_dict`.

    Every op lowers to TFLite ops that the GPU delegate and XNNPACK accept;
    softmax and LayerNorm run in float32 under mixed precision.

    Args:
        layout: `"parallel"` (PSA_p) or `"sequential"` (PSA_s).
        variant: `"paper"` or `"official"`.
        use_bias: whether the paper variant's 1x1 convolutions have biases;
            `None` means True for `"paper"`. The official variant fixes its
            biases as PSA.py does and accepts only `None` or `False`.
        epsilon: LayerNorm epsilon, PyTorch's 1e-5 by default (Keras uses
            1e-3; parity with PyTorch weights needs 1e-5).
        kernel_initializer: initializer of every convolution kernel; `None`
            means glorot uniform for `"paper"` and PSA.py's kaiming schemes
            for `"official"`.
        bias_initializer: initializer of convolution biases.
        kernel_regularizer: regularizer of convolution kernels.
        bias_regularizer: regularizer of convolution biases.
        gamma_initializer: initializer of the LayerNorm scale.
        beta_initializer: initializer of the LayerNorm offset.
        gamma_regularizer: regularizer of the LayerNorm scale.
        beta_regularizer: regularizer of the LayerNorm offset.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).

    Call arguments:
        inputs: float tensor of shape `(batch, height, width, channels)`.
        training: Python boolean; only fake-quantized (QAT) layers use it.

    Input shape:
        4-D tensor `(batch, height, width, channels)` with any batch and
        spatial size; channels >= 2 (>= 8 for official sequential).

    Output shape:
        Same as the input.

    Example:

    >>> inputs = keras.Input((None, None, 64))
    >>> x = PolarizedSelfAttention(layout="sequential")(inputs)
    >>> model = keras.Model(inputs, x)

    Reference:
        Liu et al., "Polarized Self-Attention: Towards High-quality
        Pixel-wise Regression", arXiv:2107.00782, 2021.
    """

    def __init__(self, layout="parallel", variant="paper", **kwargs):
        super().__init__(layout=layout, variant=variant, **kwargs)
        branch_config = super().get_config()
        for key in ("name", "trainable", "dtype"):
            branch_config.pop(key, None)
        self.channel_attention = ChannelPolarizedAttention(
            **branch_config, dtype=self.dtype_policy, name="channel_attention"
        )
        self.spatial_attention = SpatialPolarizedAttention(
            **branch_config, dtype=self.dtype_policy, name="spatial_attention"
        )

    def build(self, input_shape):
        self._channels(input_shape, 8 if self.official_sequential else 2)
        self._build_sublayer(self.channel_attention, input_shape)
        self._build_sublayer(self.spatial_attention, input_shape)
        self.built = True

    def activation_quantization_points(self):
        return ("output",) if self.layout == "parallel" else ()

    def output_range_variables(self):
        if self.layout == "sequential":
            return self.spatial_attention.output_range_variables()
        return super().output_range_variables()

    def call(self, inputs, training=None):
        self._check_dtype(inputs)
        channel_out = self.channel_attention(inputs, training=training)
        if self.layout == "parallel":
            summed = channel_out + self.spatial_attention(inputs, training=training)
            return self._quantize_activation("output", summed, training)
        return self.spatial_attention(channel_out, training=training)
