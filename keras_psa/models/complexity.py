"""Parameter and multiply-add (MAC) counts of a model."""

import math

from keras_psa.keras_flavor import keras
from keras_psa.layers import ChannelPolarizedAttention
from keras_psa.layers import PolarizedSelfAttention
from keras_psa.layers import SpatialPolarizedAttention
from keras_psa.models.cbam import CBAM
from keras_psa.models.squeeze_excitation import SqueezeExcitation


def _spatial(shape):
    return math.prod(int(size) for size in shape[1:-1])


def _conv_macs(layer, input_shape, output_shape):
    kernel = math.prod(layer.kernel_size)
    groups = getattr(layer, "groups", 1)
    return _spatial(output_shape) * kernel * (input_shape[-1] // groups) * output_shape[-1]


def _depthwise_macs(layer, input_shape, output_shape):
    return _spatial(output_shape) * math.prod(layer.kernel_size) * output_shape[-1]


def _separable_macs(layer, input_shape, output_shape):
    depthwise_channels = input_shape[-1] * layer.depth_multiplier
    pixels = _spatial(output_shape)
    return pixels * depthwise_channels * (math.prod(layer.kernel_size) + output_shape[-1])


def _transpose_macs(layer, input_shape, output_shape):
    return _spatial(input_shape) * math.prod(layer.kernel_size) * input_shape[-1] * output_shape[-1]


def _dense_macs(layer, input_shape, output_shape):
    return _spatial(input_shape) * input_shape[-1] * output_shape[-1] if len(input_shape) > 2 else (
        input_shape[-1] * output_shape[-1]
    )


def _psa_channel_macs(layer, channels, pixels):
    # As implemented: per-pixel query conv and weighted sum, the value conv on
    # the pooled (1x1) context, the up projection, and the gating product.
    inner = channels // 2
    if layer.official_sequential:
        hidden = inner // 4
        up = inner * hidden + hidden * channels
    else:
        up = inner * channels
    return 3 * pixels * channels + channels * inner + up


def _psa_spatial_macs(channels, pixels):
    # Query conv on the pooled input, per-pixel value conv, weighted channel
    # sum, gating product.
    inner = channels // 2
    return channels * inner + pixels * (channels * inner + inner + channels)


def _channel_psa_macs(layer, input_shape, output_shape):
    return _psa_channel_macs(layer, input_shape[-1], _spatial(input_shape))


def _spatial_psa_macs(layer, input_shape, output_shape):
    return _psa_spatial_macs(input_shape[-1], _spatial(input_shape))


def _psa_macs(layer, input_shape, output_shape):
    channels, pixels = input_shape[-1], _spatial(input_shape)
    return _psa_channel_macs(layer, channels, pixels) + _psa_spatial_macs(channels, pixels)


def _se_macs(layer, input_shape, output_shape):
    channels = input_shape[-1]
    units = layer.squeeze.filters
    return 2 * channels * units + _spatial(input_shape) * channels


def _cbam_macs(layer, input_shape, output_shape):
    channels, pixels = input_shape[-1], _spatial(input_shape)
    units = layer.mlp_hidden.filters
    spatial_conv = pixels * 2 * layer.spatial_kernel_size**2
    return 4 * channels * units + spatial_conv + 2 * pixels * channels


# Most specific classes first: SeparableConv2D and DepthwiseConv2D are not
# Conv2D subclasses in every flavor, Conv2DTranspose is.
_COUNTERS = (
    (PolarizedSelfAttention, _psa_macs),
    (ChannelPolarizedAttention, _channel_psa_macs),
    (SpatialPolarizedAttention, _spatial_psa_macs),
    (SqueezeExcitation, _se_macs),
    (CBAM, _cbam_macs),
    (keras.layers.DepthwiseConv2D, _depthwise_macs),
    (keras.layers.SeparableConv2D, _separable_macs),
    (keras.layers.Conv2DTranspose, _transpose_macs),
    (keras.layers.Conv2D, _conv_macs),
    (keras.layers.Dense, _dense_macs),
)


def _fixed_size(model, input_shape):
    if input_shape is None:
        if any(size is None for size in model.inputs[0].shape[1:]):
            raise ValueError(
                f"Model {model.name!r} has a dynamic input size "
                f"{tuple(model.inputs[0].shape[1:])}; pass `input_shape=(height, width, "
                "channels)` to count MACs at that size."
            )
        return model
    inputs = keras.Input(shape=tuple(input_shape), batch_size=1)
    return keras.models.clone_model(model, input_tensors=inputs)


def count_macs(model, input_shape=None):
    """Counts the multiply-adds of one forward pass of `model` on one image.

    Counts Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose and Dense
    layers, the PSA layers (their 1x1 convolutions, attention-weighted sums and
    gating products, as implemented in `keras_psa.layers`) and the SE / CBAM
    blocks (same rules). Normalization, activations, pooling, resizing and
    additions are left out, as is usual for MobileNet-style counts.

    Args:
        model: a built Functional model with one input; nested models count.
        input_shape: `(height, width, channels)` to count at; required when
            the model's spatial size is dynamic.

    Returns:
        int, multiply-adds per image.

    Example:

    >>> inputs = keras.Input((8, 8, 3))
    >>> model = keras.Model(inputs, keras.layers.Conv2D(4, 3, padding="same")(inputs))
    >>> count_macs(model)
    6912
    """
    model = _fixed_size(model, input_shape)
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += count_macs(layer)
            continue
        counter = next((fn for cls, fn in _COUNTERS if isinstance(layer, cls)), None)
        if counter is not None:
            in_shape = tuple(layer.input.shape)
            out_shape = tuple(layer.output.shape)
            total += int(counter(layer, in_shape, out_shape))
    return total


def model_complexity(model, input_shape=None):
    """Returns `{"params", "trainable_params", "macs"}` for `model` (MACs per image)."""
    trainable = sum(math.prod(weight.shape) for weight in model.trainable_weights)
    return {
        "params": int(model.count_params()),
        "trainable_params": int(trainable),
        "macs": count_macs(model, input_shape),
    }
