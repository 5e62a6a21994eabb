"""Upgrades the atrous DepthwiseConv2D layers of a saved model to DilatedDepthwiseConv2D."""

import copy

from keras_psa.keras_flavor import keras
from keras_psa.layers.dilated_depthwise_conv2d import DilatedDepthwiseConv2D

_REGISTERED_NAME = "keras_psa>DilatedDepthwiseConv2D"


def _is_atrous_depthwise(entry):
    rate = entry["config"].get("dilation_rate", 1)
    rates = tuple(rate) if isinstance(rate, (list, tuple)) else (rate, rate)
    return entry["class_name"] == "DepthwiseConv2D" and rates != (1, 1)


def with_native_dilation(model):
    """Returns a copy of `model` whose atrous DepthwiseConv2D layers are `DilatedDepthwiseConv2D`.

    Models built before `DilatedDepthwiseConv2D` existed (a DeepLabV3+ head
    saved to `.keras` or SavedModel) hold Keras' `DepthwiseConv2D` with a
    dilation rate, which `model.export(format="litert")` and the plain
    `TFLiteConverter` turn into SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND when
    the batch or size is dynamic. Such a model still loads and runs as
    before; this copy converts to one dilated DEPTHWISE_CONV_2D instead. Layer
    names, configs and weights are the same, and so are the outputs.

    Args:
        model: a Functional model.

    Returns:
        A new Functional model (`model` itself when it has no atrous
        DepthwiseConv2D).

    Example:

    ```python
    model = keras.saving.load_model("old_deeplabv3plus.keras")
    with native_dilation_scope():  # keras_psa.layers: one op on every CPU
        with_native_dilation(model).export("model.tflite", format="litert")
    ```
    """
    config = model.get_config() if isinstance(model, keras.Model) else None
    if not isinstance(config, dict) or "layers" not in config or "input_layers" not in config:
        raise ValueError(
            "`model` must be a Functional Keras model (its config is rebuilt). "
            f"Received: model={model!r}"
        )
    config = copy.deepcopy(config)
    # How this flavor names the class in a config (module, class and
    # registered names): taken from a serialized instance.
    naming = keras.layers.serialize(DilatedDepthwiseConv2D(3, dilation_rate=2))
    naming = {key: naming[key] for key in ("module", "class_name", "registered_name")
              if key in naming}
    replaced = 0
    for entry in config["layers"]:
        if _is_atrous_depthwise(entry):
            entry.update(naming)
            replaced += 1
    if not replaced:
        return model
    with keras.saving.custom_object_scope({_REGISTERED_NAME: DilatedDepthwiseConv2D}):
        rebuilt = keras.Model.from_config(config)
    for layer in model.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    return rebuilt
