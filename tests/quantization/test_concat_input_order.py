"""quantize_model keeps a Concatenate's inputs in call order (tfmot#1179 reorders them)."""

import pytest

from keras_psa.keras_flavor import keras

pytestmark = pytest.mark.tf_keras_only


def branches_concatenated_out_of_order():
    """A tiny DeepLabV3+ head: its ASPP concatenates the image-pooling branch last,
    after branches that come later in the model's config."""
    from keras_psa.models.deeplabv3plus_head import deeplabv3plus_head

    inputs = keras.Input((16, 16, 3))
    stride4 = keras.layers.Conv2D(8, 3, strides=4, padding="same", name="stride4")(inputs)
    stride16 = keras.layers.Conv2D(8, 3, strides=4, padding="same", name="stride16")(stride4)
    outputs = deeplabv3plus_head({"stride4": stride4, "stride16": stride16}, 3, filters=8,
                                 low_level_filters=4)
    return keras.Model(inputs, outputs)


def inbound_names(model, name):
    layer = next(layer for layer in model.layers if getattr(layer, "layer", layer).name == name)
    inbound = layer._inbound_nodes[0].inbound_layers
    return [getattr(layer, "layer", layer).name for layer in inbound]


def test_concatenate_keeps_its_input_order():
    # Permuted inputs feed the next layer's kernel the wrong channels: a QAT model that
    # computes another function than the float one it starts from.
    from keras_psa.quantization import quantize_model

    keras.utils.set_random_seed(0)
    model = branches_concatenated_out_of_order()
    qat_model = quantize_model(model)
    assert inbound_names(qat_model, "aspp_concat") == inbound_names(model, "aspp_concat")
    assert inbound_names(model, "aspp_concat")[-1] == "aspp_image_resize"


def test_tfmots_transformer_is_restored_after_quantize_model():
    from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations import (  # noqa: E501
        model_transformer,
    )

    from keras_psa.quantization import quantize_model

    original = model_transformer.ModelTransformer._get_layers
    quantize_model(branches_concatenated_out_of_order())
    assert model_transformer.ModelTransformer._get_layers is original


def test_a_qat_model_with_permuted_inputs_is_not_copied_into_a_rebuilt_one(monkeypatch):
    # A QAT SavedModel made before the fix: its weights belong to another function.
    import contextlib
    import sys

    from keras_psa.quantization import quantize_model
    from keras_psa.quantization.qat_finetune import _copy_weights_layer_by_layer

    module = sys.modules["keras_psa.quantization.quantize_model"]
    rebuilt = quantize_model(branches_concatenated_out_of_order())
    with monkeypatch.context() as patch:
        patch.setattr(module, "_inputs_in_call_order", contextlib.nullcontext)
        old = quantize_model(branches_concatenated_out_of_order())
    assert inbound_names(old, "aspp_concat")[0] == "aspp_image_resize"  # tfmot#1179
    # Either the layer order or the inputs differ; either way nothing is copied.
    with pytest.raises(ValueError, match="of the QAT model"):
        _copy_weights_layer_by_layer(old, rebuilt)
