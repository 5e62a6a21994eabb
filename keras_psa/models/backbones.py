"""MobileNet backbones from keras.applications with named stride-4/8/16 feature taps."""

import os

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.models.graph_surgery import insert_after

BACKBONES = (
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "mobilenet_v3_small_minimalistic",
    "mobilenet_v3_large_minimalistic",
)
# keras.applications' `minimalistic=True` MobileNetV3: ReLU instead of
# hard-swish, no squeeze-excite, 3x3 kernels. Its int8 TFLite runs entirely in
# int8 on XNNPACK (which has no int8 HARD_SWISH), so it gains most from int8.
_MINIMALISTIC = "_minimalistic"
TAP_NAMES = ("stride4", "stride8", "stride16")

# Last block output of each stage, as named by Keras 3's keras.applications
# (the block outputs are narrow, so attention after them stays cheap).
# Channels at alpha=1: v2 24/32/96, v3_small 16/24/48, v3_large 24/40/112.
FEATURE_TAPS = {
    "mobilenet_v2": {
        "stride4": "block_2_add",
        "stride8": "block_5_add",
        "stride16": "block_12_add",
    },
    "mobilenet_v3_small": {
        "stride4": "expanded_conv_project_bn",
        "stride8": "expanded_conv_2_add",
        "stride16": "expanded_conv_7_add",
    },
    "mobilenet_v3_large": {
        "stride4": "expanded_conv_2_add",
        "stride8": "expanded_conv_5_add",
        "stride16": "expanded_conv_11_add",
    },
}

for _name in ("mobilenet_v3_small", "mobilenet_v3_large"):
    FEATURE_TAPS[_name + _MINIMALISTIC] = FEATURE_TAPS[_name]  # same layer names

# tf_keras spells the MobileNetV3 layers with slashes.
FEATURE_TAPS_TF_KERAS = {
    "mobilenet_v2": FEATURE_TAPS["mobilenet_v2"],
    "mobilenet_v3_small": {
        "stride4": "expanded_conv/project/BatchNorm",
        "stride8": "expanded_conv_2/Add",
        "stride16": "expanded_conv_7/Add",
    },
    "mobilenet_v3_large": {
        "stride4": "expanded_conv_2/Add",
        "stride8": "expanded_conv_5/Add",
        "stride16": "expanded_conv_11/Add",
    },
}
for _name in ("mobilenet_v3_small", "mobilenet_v3_large"):
    FEATURE_TAPS_TF_KERAS[_name + _MINIMALISTIC] = FEATURE_TAPS_TF_KERAS[_name]

# Width multipliers with ImageNet weights for include_top=False.
IMAGENET_ALPHAS = {
    "mobilenet_v2": (0.35, 0.5, 0.75, 1.0, 1.3, 1.4),
    "mobilenet_v3_small": (0.75, 1.0),
    "mobilenet_v3_large": (0.75, 1.0),
    "mobilenet_v3_small_minimalistic": (1.0,),
    "mobilenet_v3_large_minimalistic": (1.0,),
}


def feature_taps(backbone):
    """Returns `{"stride4": layer_name, ...}` for `backbone` in the active Keras flavor."""
    validate_backbone(backbone)
    return dict((FEATURE_TAPS_TF_KERAS if USING_TF_KERAS else FEATURE_TAPS)[backbone])


def validate_backbone(backbone):
    if backbone not in BACKBONES:
        raise ValueError(f"`backbone` must be one of {BACKBONES}. Received: backbone={backbone!r}")


def _validate_weights(backbone, alpha, weights):
    if weights is None:
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            "`backbone_weights` must be None, 'imagenet' or the path of a weights file. "
            f"Received: backbone_weights={weights!r}"
        )
    if weights == "imagenet":
        if alpha not in IMAGENET_ALPHAS[backbone]:
            raise ValueError(
                f"ImageNet weights of `{backbone}` exist for alpha in "
                f"{IMAGENET_ALPHAS[backbone]} only. Received: alpha={alpha}. Use "
                "backbone_weights=None or one of those alphas."
            )
        return
    if not os.path.isfile(weights):
        raise ValueError(
            "`backbone_weights` must be None, 'imagenet' or the path of an existing weights "
            f"file. Received: backbone_weights={os.fspath(weights)!r} (no such file)"
        )


def _application(backbone, x, alpha):
    if backbone == "mobilenet_v2":
        return keras.applications.MobileNetV2(
            input_tensor=x, alpha=alpha, include_top=False, weights=None
        )
    # The model rescales to [-1, 1] itself, as MobileNetV2 expects, so both
    # families share one preprocessing layer.
    return _mobilenet_v3(backbone)(
        input_tensor=x, alpha=alpha, include_top=False, weights=None,
        include_preprocessing=False, minimalistic=backbone.endswith(_MINIMALISTIC),
    )


def _mobilenet_v3(backbone):
    if backbone.startswith("mobilenet_v3_small"):
        return keras.applications.MobileNetV3Small
    return keras.applications.MobileNetV3Large


def _load_weights(model, backbone, alpha, weights):
    if weights == "imagenet":
        # Build the stock application once to let Keras download and cache the
        # file, then copy by layer name (the names match ours).
        try:
            reference = _stock_imagenet(backbone, alpha)
        except Exception as error:  # Keras raises plain Exception on URL errors.
            raise RuntimeError(
                f"Could not get the ImageNet weights of `{backbone}` (alpha={alpha}): {error}. "
                "Keras downloads them on first use, which needs network access; pass "
                "backbone_weights=None or the path of a local weights file instead."
            ) from error
    else:
        reference = _application(backbone, keras.Input((None, None, 3)), alpha)
        path = os.fspath(weights)
        try:
            reference.load_weights(path)
        except Exception as error:
            raise ValueError(
                f"Could not load backbone weights from {path!r} into `{backbone}` "
                f"(alpha={alpha}, include_top=False): {error}"
            ) from error
    for layer in reference.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())


def _stock_imagenet(backbone, alpha):
    kwargs = {
        "input_shape": (224, 224, 3),
        "alpha": alpha,
        "include_top": False,
        "weights": "imagenet",
    }
    if backbone == "mobilenet_v2":
        return keras.applications.MobileNetV2(**kwargs)
    return _mobilenet_v3(backbone)(include_preprocessing=False,
                                   minimalistic=backbone.endswith(_MINIMALISTIC), **kwargs)


def build_backbone(
    backbone,
    inputs,
    alpha=1.0,
    weights=None,
    include_preprocessing=True,
    attention_layers=None,
):
    """Builds a MobileNet on `inputs` and returns its stride-4/8/16 features.

    Args:
        backbone: one of `BACKBONES`: `"mobilenet_v2"`,
            `"mobilenet_v3_small"`, `"mobilenet_v3_large"`, or a MobileNetV3
            with `"_minimalistic"` appended (ReLU, no squeeze-excite).
        inputs: the model's `keras.Input`, shape `(batch, height, width, 3)`.
        alpha: float, width multiplier.
        weights: None (random), `"imagenet"` or the path of a weights file
            saved from the same application with `include_top=False`.
        include_preprocessing: bool; when True the inputs are RGB in [0, 255]
            and a `Rescaling` layer maps them to [-1, 1]; when False the inputs
            must already be in [-1, 1].
        attention_layers: optional dict mapping tap names (`"stride4"`, ...)
            to attention layers inserted after that stage; the rest of the
            backbone runs on their outputs.

    Returns:
        `(model_inputs, features)`: the input tensor of the rebuilt graph and
        a dict `{"stride4": tensor, "stride8": tensor, "stride16": tensor}`.
    """
    validate_backbone(backbone)
    _validate_weights(backbone, alpha, weights)
    x = inputs
    if include_preprocessing:
        x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="preprocessing")(inputs)
    model = _application(backbone, x, alpha)
    if weights is not None:
        _load_weights(model, backbone, alpha, weights)
    taps = feature_taps(backbone)
    outputs = {name: model.get_layer(layer).output for name, layer in taps.items()}
    if attention_layers:
        # Only the part up to stride 16 is used; cutting it first keeps the copy small.
        model = keras.Model(inputs, outputs["stride16"], name=model.name)
        model = insert_after(
            model, {taps[tap]: layer for tap, layer in attention_layers.items()}
        )
        outputs = {
            name: model.get_layer(
                attention_layers[name].name if name in attention_layers else layer
            ).output
            for name, layer in taps.items()
        }
        return model.inputs[0], outputs
    return inputs, outputs
