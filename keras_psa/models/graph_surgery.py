"""Inserting layers into an existing Functional model through its config."""

import copy

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras


def _rename_references(node, old, new):
    """Replaces every `[old, node_index, tensor_index, ...]` history entry with `new`."""
    if isinstance(node, dict):
        return {key: _rename_references(value, old, new) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        if (
            len(node) >= 3
            and node[0] == old
            and isinstance(node[1], int)
            and isinstance(node[2], int)
        ):
            return [new, *node[1:]]
        return [_rename_references(item, old, new) for item in node]
    return node


def _inbound_reference(layer_name, shape):
    if USING_TF_KERAS:
        return [[[layer_name, 0, 0, {}]]]
    tensor = {
        "class_name": "__keras_tensor__",
        "config": {"shape": list(shape), "dtype": "float32", "keras_history": [layer_name, 0, 0]},
    }
    return [{"args": [tensor], "kwargs": {}}]


def insert_after(model, new_layers, custom_objects=None):
    """Returns a copy of `model` with a layer inserted after each named layer.

    Every consumer of the named layer's output reads the inserted layer's output
    instead, so the rest of the network runs on it. Weights of the original
    layers are copied over; inserted layers keep their fresh initialization.

    Args:
        model: Functional model whose named layers are called once.
        new_layers: dict mapping a layer name of `model` to a single-input,
            single-output layer (not yet called) that keeps the shape.
        custom_objects: extra classes needed to rebuild the model.

    Returns:
        A new Functional model.
    """
    config = copy.deepcopy(model.get_config())
    layers = config["layers"]
    for target, new_layer in new_layers.items():
        index = next((i for i, entry in enumerate(layers) if entry["name"] == target), None)
        if index is None:
            raise ValueError(f"Layer {target!r} is not in model {model.name!r}.")
        for entry in layers:
            entry["inbound_nodes"] = _rename_references(
                entry["inbound_nodes"], target, new_layer.name
            )
        config["output_layers"] = _rename_references(
            config["output_layers"], target, new_layer.name
        )
        entry = keras.layers.serialize(new_layer)
        entry["name"] = new_layer.name
        entry["inbound_nodes"] = _inbound_reference(
            target, model.get_layer(target).output.shape
        )
        layers.insert(index + 1, entry)
    objects = {type(layer).__name__: type(layer) for layer in new_layers.values()}
    objects.update(custom_objects or {})
    with keras.saving.custom_object_scope(objects):
        rebuilt = keras.Model.from_config(config)
    for layer in model.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    return rebuilt
