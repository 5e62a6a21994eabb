"""Shared argument checks and graph building for the dense-prediction builders."""

import numbers

from keras_psa.keras_flavor import keras
from keras_psa.models.attention import get_attention_layer
from keras_psa.models.attention import validate_attention
from keras_psa.models.backbones import TAP_NAMES
from keras_psa.models.backbones import build_backbone
from keras_psa.models.backbones import validate_backbone
from keras_psa.models.deeplabv3plus_head import deeplabv3plus_head
from keras_psa.models.fpn_head import fpn_head
from keras_psa.models.lraspp_head import lraspp_head
from keras_psa.models.resize_like import ResizeLike

HEADS = {"lraspp": lraspp_head, "deeplabv3plus": deeplabv3plus_head, "fpn": fpn_head}
# The stride of each head's output; `output_stride` resizes from it.
HEAD_STRIDES = {"lraspp": 8, "deeplabv3plus": 4, "fpn": 4}
OUTPUT_STRIDES = (1, 4)
ATTENTION_POSITIONS = ("head",) + TAP_NAMES
MIN_INPUT_SIZE = 32


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def validate_count(arg, value):
    """Raises unless `value` is a positive int (bools rejected)."""
    if not _is_int(value):
        raise TypeError(f"`{arg}` must be a positive int. Received: {arg}={value!r}")
    if value < 1:
        raise ValueError(f"`{arg}` must be a positive int. Received: {arg}={value!r}")


def _validate_input_shape(input_shape):
    message = (
        "`input_shape` must be (height, width, 3) with height and width None (dynamic) "
        f"or ints >= {MIN_INPUT_SIZE}. Received: input_shape={input_shape!r}"
    )
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(message)
    height, width, channels = input_shape
    if channels != 3:
        raise ValueError(message)
    for size in (height, width):
        if size is not None and (not _is_int(size) or size < MIN_INPUT_SIZE):
            raise ValueError(message)


def _validate_positions(attention_positions):
    if isinstance(attention_positions, str):
        attention_positions = (attention_positions,)
    if not isinstance(attention_positions, (tuple, list)) or any(
        position not in ATTENTION_POSITIONS for position in attention_positions
    ):
        raise ValueError(
            f"`attention_positions` must be a tuple of items of {ATTENTION_POSITIONS}. "
            f"Received: attention_positions={attention_positions!r}"
        )
    return tuple(dict.fromkeys(attention_positions))


def build_dense_outputs(
    backbone,
    channels,
    *,
    input_shape,
    head,
    attention,
    attention_positions,
    psa_variant,
    alpha,
    backbone_weights,
    batch_size,
    include_preprocessing,
    head_filters,
    output_stride=1,
):
    """Checks the arguments and returns `(inputs, outputs)` at `output_stride`.

    `outputs` holds `channels` linear channels at the input's resolution
    (`output_stride` 1) or at stride 4; the public builders add their output
    activations and names on top.
    """
    validate_backbone(backbone)
    validate_count("channels", channels)
    _validate_input_shape(input_shape)
    if head not in HEADS:
        raise ValueError(f"`head` must be one of {tuple(HEADS)}. Received: head={head!r}")
    validate_attention(attention, psa_variant)
    positions = _validate_positions(attention_positions) if attention else ()
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool) or alpha <= 0:
        raise ValueError(f"`alpha` must be a positive float. Received: alpha={alpha!r}")
    if batch_size is not None:
        validate_count("batch_size", batch_size)
    validate_count("head_filters", head_filters)
    if output_stride not in OUTPUT_STRIDES or isinstance(output_stride, bool):
        raise ValueError(f"`output_stride` must be one of {OUTPUT_STRIDES}. "
                         f"Received: output_stride={output_stride!r}")

    inputs = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="image")
    backbone_attention = {
        position: get_attention_layer(attention, psa_variant, name=f"{position}_attention")
        for position in positions
        if position != "head"
    }
    inputs, features = build_backbone(
        backbone,
        inputs,
        alpha=float(alpha),
        weights=backbone_weights,
        include_preprocessing=include_preprocessing,
        attention_layers=backbone_attention,
    )
    head_attention = (
        get_attention_layer(attention, psa_variant, name="head_attention")
        if "head" in positions
        else None
    )
    x = HEADS[head](features, channels, filters=head_filters, attention_layer=head_attention)
    if output_stride == 1:
        x = ResizeLike(name="upsample_to_input")([x, inputs])
    elif HEAD_STRIDES[head] != output_stride:
        x = ResizeLike(name="upsample_to_stride4")([x, features["stride4"]])
    return inputs, x
