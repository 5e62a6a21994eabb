"""Ops shared by the PSA branches, written for the edge.

Every function here lowers to ops that the TFLite GPU delegate and XNNPACK
take: softmax only on the last axis, reshapes whose target shape is constant
once the spatial size is static (batch stays first as -1), reductions over
constant axes, rank <= 4, no transposes and no batch matmul. They call
`keras_psa.backend_ops`, so they run under Keras 3 on every backend and
under tf_keras.
"""

from keras_psa import backend_ops as ops

# Intermediate tensors that the quantized forms of these ops fake-quantize,
# in order (see `BasePolarizedAttention._quantize_activation`).
SOFTMAX_PER_CHANNEL_POINTS = ("shifted", "exp", "total")
LAYER_NORM_POINTS = (
    "centered",
    "squared",
    "variance",
    "variance_epsilon",
    "inverse_std",
    "normalized",
    "scaled",
    "output",
)

# See `layer_norm_last_axis`: the smallest divisor of the centred vector, and a power
# of two that lifts epsilon (1e-5 by default) above fp16's smallest normal.
_LAYER_NORM_PEAK_FLOOR = 1e-2
_EPSILON_LIFT = 1024.0


def _identity(name, tensor):
    return tensor


def spatial_dims(x):
    """Returns (height, width) of an NHWC tensor, static where known."""
    shape = ops.shape(x)
    return shape[1], shape[2]


def mean_over_space(x):
    """Mean over H and W of an NHWC tensor, keepdims, as a sum of `x / (H*W)`.

    Equal to `reduce_mean` up to float rounding, but each term and each partial
    sum stays within max |x|: a GPU that sums in fp16 (phones) cannot overflow,
    as its running sum of `x` itself does past 65504 (e.g. 4096 positions of
    activations above 16).
    """
    height, width = spatial_dims(x)
    count = ops.cast(height * width, x.dtype)
    return ops.sum(x / count, axis=(1, 2), keepdims=True)


def softmax_over_space(x):
    """Softmax of a (B, H, W, 1) tensor over all H*W positions, in float32.

    The map is flattened to (B, 1, 1, H*W) so that SOFTMAX runs on the last
    axis (the only axis TFLite's kernels accept), then folded back.
    """
    height, width = spatial_dims(x)
    flat = ops.reshape(ops.cast(x, "float32"), [-1, 1, 1, height * width])
    flat = ops.softmax(flat, axis=-1)
    return ops.reshape(flat, [-1, height, width, 1])


def softmax_over_space_per_channel(x, quantize=_identity):
    """Returns (exp(x - max), sum) for a softmax over H*W of each channel.

    softmax_{H,W}(x)[..., c] == exp_shifted[..., c] / total[..., c]. The two
    parts are returned separately so callers can fold the division into a
    per-channel (B, 1, 1, C) weight instead of dividing the full map, and so
    the softmax needs no transpose to put H*W on the last axis. float32.
    `quantize(name, tensor)` sees each of SOFTMAX_PER_CHANNEL_POINTS.
    """
    x = ops.cast(x, "float32")
    shifted = quantize("shifted", x - ops.max(x, axis=(1, 2), keepdims=True))
    exp_shifted = quantize("exp", ops.exp(shifted))
    total = quantize("total", ops.sum(exp_shifted, axis=(1, 2), keepdims=True))
    return exp_shifted, total


def layer_norm_last_axis(x, gamma, beta, epsilon, quantize=None):
    """LayerNorm over the last axis with biased variance, as PyTorch, in float32.

    With `quantize(name, tensor)` (QAT), each of LAYER_NORM_POINTS passes
    through it and the square is a product, as TFLite has no int8 SQUARE.
    A variance that rounds to zero there would make the reciprocal square
    root infinite: its input is floored at `epsilon` (one MAXIMUM op, which
    the int8 model keeps; its RSQRT saturates at the range's top either way).
    """
    x = ops.cast(x, "float32")
    gamma = ops.cast(gamma, "float32")
    beta = ops.cast(beta, "float32")
    if quantize is None:
        centered = x - ops.mean(x, axis=-1, keepdims=True)
        # fp16 (phone GPUs) holds neither a square past 256 nor an epsilon of 1e-5 (below
        # its smallest normal, 6.1e-5). Divided by its largest |value|, the centred
        # vector's squares stay <= 1 and their mean >= 1/C; with epsilon divided alike
        # the result is the same: u * rsqrt(mean(u^2) + eps / m^2) = c * rsqrt(var + eps)
        # for any m > 0. The floor keeps m > 0 and eps / m^2 <= 0.1 for a flat vector.
        peak = ops.max(ops.absolute(centered), axis=-1, keepdims=True)
        peak = ops.maximum(peak, _LAYER_NORM_PEAK_FLOOR)
        unit = centered / peak
        variance = ops.mean(ops.square(unit), axis=-1, keepdims=True)
        # eps / m^2 as two divisions of a constant fp16 holds: m^2 alone overflows past 256.
        scaled_epsilon = (epsilon * _EPSILON_LIFT) / peak / peak * (1.0 / _EPSILON_LIFT)
        normalized = unit * ops.rsqrt(variance + scaled_epsilon)
        return normalized * gamma + beta
    centered = quantize("centered", x - ops.mean(x, axis=-1, keepdims=True))
    squared = quantize("squared", centered * centered)
    variance = quantize("variance", ops.mean(squared, axis=-1, keepdims=True))
    variance = quantize("variance_epsilon", variance + epsilon)
    inverse_std = ops.rsqrt(ops.maximum(variance, max(epsilon, 1e-12)))
    inverse_std = quantize("inverse_std", inverse_std)
    normalized = quantize("normalized", centered * inverse_std)
    scaled = quantize("scaled", normalized * gamma)
    return quantize("output", scaled + beta)
