import json

import numpy as np
import pytest

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.models import BACKBONES
from keras_psa.models import build_segmentation_model
from keras_psa.models import feature_taps
from keras_psa.models.backbones import build_backbone

# Stage-output channels at alpha=1.0 (MobileNetV2 paper table 2; MobileNetV3
# paper tables 1 and 2).
CHANNELS = {
    "mobilenet_v2": (24, 32, 96),
    "mobilenet_v3_small": (16, 24, 48),
    "mobilenet_v3_large": (24, 40, 112),
}
# Consumers of each tap in the next stage: the first block's expansion conv.
NEXT_LAYER = {
    "mobilenet_v2": {"stride4": "block_3_expand", "stride8": "block_6_expand"},
    "mobilenet_v3_small": {
        "stride4": "expanded_conv_1_expand",
        "stride8": "expanded_conv_3_expand",
    },
    "mobilenet_v3_large": {
        "stride4": "expanded_conv_3_expand",
        "stride8": "expanded_conv_6_expand",
    },
}


@pytest.mark.parametrize("backbone", BACKBONES)
def test_taps_have_stride_4_8_16_and_stage_channels(backbone):
    inputs = keras.Input((96, 64, 3))
    _, features = build_backbone(backbone, inputs, alpha=1.0)
    for (tap, stride), channels in zip(
        (("stride4", 4), ("stride8", 8), ("stride16", 16)),
        CHANNELS[backbone.replace("_minimalistic", "")],
    ):
        assert tuple(features[tap].shape) == (None, 96 // stride, 64 // stride, channels), tap


@pytest.mark.parametrize("backbone", [b for b in BACKBONES if b in NEXT_LAYER])
def test_stage_attention_feeds_the_next_stage(backbone):
    model = build_segmentation_model(
        backbone, 2, input_shape=(64, 64, 3), attention="se",
        attention_positions=("stride4", "stride8"), alpha=0.75,
    )
    layers = {entry["name"]: entry for entry in model.get_config()["layers"]}
    taps = feature_taps(backbone)
    for tap in ("stride4", "stride8"):
        attention = f"{tap}_attention"
        assert json.dumps(layers[attention]["inbound_nodes"]).count(f'"{taps[tap]}"') == 1
        next_name = NEXT_LAYER[backbone][tap]
        if USING_TF_KERAS:
            next_name = next_name.replace("_expand", "/expand") if "expanded" in next_name else (
                next_name
            )
        inbound = json.dumps(layers[next_name]["inbound_nodes"])
        assert f'"{attention}"' in inbound and f'"{taps[tap]}"' not in inbound
        # Nothing but the attention block reads the raw stage output any more.
        readers = [
            name for name, entry in layers.items()
            if f'"{taps[tap]}"' in json.dumps(entry["inbound_nodes"])
        ]
        assert readers == [attention]


def test_stage_attention_keeps_loaded_weights(tmp_path):
    reference = keras.applications.MobileNetV2(
        input_shape=(64, 64, 3), alpha=0.35, include_top=False, weights=None
    )
    path = tmp_path / "v2.weights.h5"
    reference.save_weights(str(path))
    model = build_segmentation_model(
        "mobilenet_v2", 2, input_shape=(64, 64, 3), attention="se",
        attention_positions=("stride8",), alpha=0.35, backbone_weights=str(path),
    )
    for name in ("Conv1", "block_6_expand", "block_12_project_BN"):
        for got, want in zip(model.get_layer(name).get_weights(),
                             reference.get_layer(name).get_weights()):
            np.testing.assert_array_equal(got, want)


def test_missing_weights_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.weights.h5"
    with pytest.raises(ValueError, match="nope.weights.h5"):
        build_segmentation_model("mobilenet_v2", 2, alpha=0.35, backbone_weights=str(missing))


def test_corrupt_weights_file_names_the_file(tmp_path):
    corrupt = tmp_path / "corrupt.weights.h5"
    corrupt.write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match="corrupt.weights.h5"):
        build_segmentation_model("mobilenet_v2", 2, alpha=0.35, backbone_weights=str(corrupt))


@pytest.mark.slow
def test_mismatched_weights_file_is_rejected(tmp_path):
    other = keras.applications.MobileNetV2(
        input_shape=(64, 64, 3), alpha=0.5, include_top=False, weights=None
    )
    path = tmp_path / "alpha05.weights.h5"
    other.save_weights(str(path))
    with pytest.raises(ValueError, match="alpha05.weights.h5"):
        build_segmentation_model("mobilenet_v2", 2, alpha=0.35, backbone_weights=str(path))


@pytest.mark.parametrize(
    "backbone,alpha", [("mobilenet_v2", 0.6), ("mobilenet_v3_small", 0.5)]
)
def test_imagenet_weights_need_a_published_alpha(backbone, alpha):
    with pytest.raises(ValueError, match="ImageNet weights"):
        build_segmentation_model(backbone, 2, alpha=alpha, backbone_weights="imagenet")


def test_weights_argument_type():
    with pytest.raises(TypeError, match="`backbone_weights` must be"):
        build_segmentation_model("mobilenet_v2", 2, alpha=0.35, backbone_weights=3)


@pytest.mark.parametrize("size", ["small", "large"])
def test_minimalistic_mobilenet_v3_has_relu_and_no_squeeze_excite(size):
    inputs = keras.Input((64, 64, 3))
    model_inputs, features = build_backbone(f"mobilenet_v3_{size}_minimalistic", inputs)
    backbone = keras.Model(model_inputs, features["stride16"])
    kinds = {type(layer).__name__ for layer in backbone.layers}
    activations = {getattr(layer.activation, "__name__", "")
                   for layer in backbone.layers if type(layer).__name__ == "Activation"}
    assert "ReLU" in kinds and "Multiply" not in kinds, kinds  # SE gates are Multiply
    assert not activations & {"hard_swish", "hard_silu"}, activations
