"""Finds the objects in a Keras model config whose loading would run Python code."""

import dataclasses

# Packages whose serializable objects Keras resolves by module path without
# running code from the file: Keras itself (both flavors), TensorFlow ops that
# tf_keras records by API name, tfmot's wrappers and this package's layers.
TRUSTED_PACKAGES = frozenset({
    "builtins", "keras", "keras_cv", "keras_hub", "keras_nlp", "keras_psa", "tensorflow",
    "tensorflow_model_optimization", "tf_keras",
})


@dataclasses.dataclass(frozen=True)
class UnsafeObject:
    """One object of a model config that would run Python code when loaded.

    Args:
        layer: name of the layer (or SavedModel node) that holds it.
        class_name: the object's class name in the config.
        reason: what in it would run.
    """

    layer: str
    class_name: str
    reason: str

    def describe(self):
        return f"{self.class_name} layer {self.layer!r} ({self.reason})"


def _lambda_reason(config):
    function = config.get("function")
    if config.get("function_type") == "lambda" or (
            isinstance(function, dict) and function.get("class_name") == "__lambda__"):
        return "a serialized Python function (bytecode) that would run"
    if isinstance(function, dict):
        name = f"{function.get('module') or ''}.{function.get('config')}".lstrip(".")
    else:
        name = f"{config.get('module') or ''}.{function}".lstrip(".")
    return f"calls the Python function {name}, which the package cannot vet"


def _registered(name):
    from keras_psa.keras_flavor import keras

    try:
        return keras.saving.get_registered_object(name) is not None
    except (AttributeError, ValueError):
        return False


def _untrusted_module_reason(node):
    module = node.get("module")
    if not isinstance(module, str) or module.split(".")[0] in TRUSTED_PACKAGES:
        return None
    registered = node.get("registered_name") or node.get("class_name")
    if isinstance(registered, str) and _registered(registered):
        return None
    return (f"names the Python object {module}.{node.get('class_name')}, which is neither "
            "part of Keras nor a registered serializable class")


def find_unsafe_objects(config, layer="<model>"):
    """Returns the `UnsafeObject`s of a Keras config (JSON-like nested dicts/lists).

    Refused, as Keras 3's safe mode refuses them and more: every `Lambda`
    layer (its function is either bytecode stored in the file or an arbitrary
    callable named by module), any serialized `__lambda__`, any legacy
    `function_type: "lambda"`, and objects named by a module outside Keras,
    TensorFlow, tfmot and keras_psa that are not registered serializables.
    `TFOpLambda` (tf_keras' record of a TensorFlow op by its API name) is safe.
    """
    found = []
    if isinstance(config, list):
        for item in config:
            found.extend(find_unsafe_objects(item, layer))
        return found
    if not isinstance(config, dict):
        return found
    class_name = config.get("class_name")
    inner = config.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("name"), str):
        layer = inner["name"]
    elif isinstance(config.get("name"), str):
        layer = config["name"]
    if class_name == "Lambda" and isinstance(inner, dict):
        return [UnsafeObject(layer, "Lambda", _lambda_reason(inner))]
    if class_name == "__lambda__":
        return [UnsafeObject(layer, "__lambda__", "a serialized Python lambda that would run")]
    if config.get("function_type") == "lambda":
        return [UnsafeObject(layer, str(class_name or "object"),
                             "a serialized Python function (bytecode) that would run")]
    reason = _untrusted_module_reason(config) if class_name else None
    if reason:
        found.append(UnsafeObject(layer, str(class_name), reason))
    for value in config.values():
        found.extend(find_unsafe_objects(value, layer))
    return found
