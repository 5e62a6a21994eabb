import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.layers import PolarizedSelfAttention
from keras_psa.models import build_segmentation_model
from keras_psa.models import count_macs
from keras_psa.models import model_complexity


def test_conv_depthwise_dense_counts():
    inputs = keras.Input((8, 10, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)  # 4x5 out
    x = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = keras.layers.Dense(5)(x)
    model = keras.Model(inputs, x)
    expected = 4 * 5 * 9 * 3 * 4 + 4 * 5 * 9 * 8 + 4 * 5 * 8 * 5
    assert count_macs(model) == expected


@pytest.mark.parametrize("layout", ["parallel", "sequential"])
@pytest.mark.parametrize("variant", ["paper", "official"])
def test_psa_count_follows_its_convolutions(layout, variant):
    channels, height, width = 16, 6, 5
    inputs = keras.Input((height, width, channels))
    layer = PolarizedSelfAttention(layout=layout, variant=variant)
    model = keras.Model(inputs, layer(inputs))
    pixels, inner = height * width, channels // 2
    up = inner * channels
    if variant == "official" and layout == "sequential":
        up = inner * (inner // 4) + (inner // 4) * channels
    channel_branch = 3 * pixels * channels + channels * inner + up
    spatial_branch = channels * inner + pixels * (channels * inner + inner + channels)
    assert count_macs(model) == channel_branch + spatial_branch


def test_segmentation_model_counts():
    plain = build_segmentation_model("mobilenet_v2", 3, input_shape=(64, 64, 3), attention=None,
                                     alpha=0.35)
    psa = build_segmentation_model("mobilenet_v2", 3, input_shape=(64, 64, 3), attention="psa_p",
                                   alpha=0.35)
    plain_stats, psa_stats = model_complexity(plain), model_complexity(psa)
    assert psa_stats["macs"] > plain_stats["macs"] > 0
    assert psa_stats["params"] > plain_stats["params"]
    assert plain_stats["params"] == plain.count_params()
    assert plain_stats["trainable_params"] < plain_stats["params"]  # BN moving statistics


def test_dynamic_model_needs_an_input_shape():
    model = build_segmentation_model("mobilenet_v3_small", 3, attention="se", alpha=0.75)
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(model)
    at_64 = count_macs(model, (64, 64, 3))
    at_128 = count_macs(model, (128, 128, 3))
    # Almost everything scales with the pixel count; only 1x1 global convs do not.
    assert 3.8 < at_128 / at_64 <= 4.0
    fixed = build_segmentation_model("mobilenet_v3_small", 3, input_shape=(64, 64, 3),
                                     attention="se",
                                     alpha=0.75)
    assert count_macs(fixed) == at_64
    assert np.isfinite(at_64)
