"""TensorFlow ops shared by the PSA branches, written for the edge.

Every function here lowers to ops that the TFLite GPU delegate and XNNPACK
take: softmax only on the last axis, reshapes whose target shape is constant
once the spatial size is static (batch stays first as -1), reductions over
constant axes, rank <= 4, no transposes and no batch matmul.
"""

import tensorflow as tf


def spatial_dims(x):
    """Returns (height, width) of an NHWC tensor, static where known."""
    dynamic = tf.shape(x)
    height = x.shape[1] if x.shape[1] is not None else dynamic[1]
    width = x.shape[2] if x.shape[2] is not None else dynamic[2]
    return height, width


def softmax_over_space(x):
    """Softmax of a (B, H, W, 1) tensor over all H*W positions, in float32.

    The map is flattened to (B, 1, 1, H*W) so that SOFTMAX runs on the last
    axis (the only axis TFLite's kernels accept), then folded back.
    """
    height, width = spatial_dims(x)
    flat = tf.reshape(tf.cast(x, "float32"), [-1, 1, 1, height * width])
    flat = tf.nn.softmax(flat, axis=-1)
    return tf.reshape(flat, [-1, height, width, 1])


def softmax_over_space_per_channel(x):
    """Returns (exp(x - max), sum) for a softmax over H*W of each channel.

    softmax_{H,W}(x)[..., c] == exp_shifted[..., c] / total[..., c]. The two
    parts are returned separately so callers can fold the division into a
    per-channel (B, 1, 1, C) weight instead of dividing the full map, and so
    the softmax needs no transpose to put H*W on the last axis. float32.
    """
    x = tf.cast(x, "float32")
    exp_shifted = tf.exp(x - tf.reduce_max(x, axis=[1, 2], keepdims=True))
    total = tf.reduce_sum(exp_shifted, axis=[1, 2], keepdims=True)
    return exp_shifted, total


def layer_norm_last_axis(x, gamma, beta, epsilon):
    """LayerNorm over the last axis with biased variance, as PyTorch, in float32."""
    x = tf.cast(x, "float32")
    centered = x - tf.reduce_mean(x, axis=-1, keepdims=True)
    variance = tf.reduce_mean(tf.square(centered), axis=-1, keepdims=True)
    normalized = centered * tf.math.rsqrt(variance + epsilon)
    return normalized * tf.cast(gamma, "float32") + tf.cast(beta, "float32")
