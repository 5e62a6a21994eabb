"""The one loading function every tool of the package uses."""

import contextlib
import importlib
import os
import sys

from keras_psa.saving.model_config import KERAS_FILE_SUFFIXES
from keras_psa.saving.model_config import has_keras_metadata
from keras_psa.saving.model_config import is_saved_model_dir
from keras_psa.saving.model_config import read_model_configs
from keras_psa.saving.unsafe_model_error import UnsafeModelError
from keras_psa.saving.unsafe_object import find_unsafe_objects


def _register_package_layers():
    # A model of the package names its layers by registered name.
    for module in ("keras_psa.layers", "keras_psa.models", "keras_psa.training"):
        importlib.import_module(module)


def check_model_file(path):
    """Raises `UnsafeModelError` if loading `path` would run Python code from it.

    Reads the config from the file itself (nothing deserialized) and looks
    for what `find_unsafe_objects` refuses. Also raises `ValueError` for
    missing, corrupt or foreign files.

    Returns:
        The list of configs read (see `read_model_configs`).
    """
    _register_package_layers()
    configs = read_model_configs(path)
    # A SavedModel repeats a layer's config in several nodes.
    findings = list(dict.fromkeys(find_unsafe_objects(configs)))
    if findings:
        raise UnsafeModelError(os.fspath(path), findings)
    return configs


def _warn_unsafe(path):
    try:
        check_model_file(path)
        return
    except UnsafeModelError as error:
        listed = "; ".join(finding.describe() for finding in error.findings)
    print(f"WARNING: unsafe loading of {path} was requested (allow_unsafe / --unsafe-load): "
          f"the Python code in it runs now: {listed}", file=sys.stderr, flush=True)


def load_model(path, *, allow_unsafe=False, custom_objects=None):
    """Loads a Keras model file without running code stored in it.

    Before Keras deserializes anything, the config is read from the file
    (`.keras` config.json, the HDF5 `model_config` attribute, a tf_keras
    SavedModel's keras_metadata.pb) and refused when it holds a `Lambda` or
    another object whose loading runs Python code (`find_unsafe_objects`).
    Keras 3's safe mode does not cover the legacy HDF5 format under tf_keras,
    nor Keras SavedModels; this check does, in both Keras flavors.

    Args:
        path: a `.keras` or `.h5` file, or a SavedModel folder.
        allow_unsafe: load anyway (Keras' safe mode off), for a trusted file;
            a warning naming what runs is printed. Defaults to False.
        custom_objects: dict of extra classes for Keras (tfmot's
            `quantize_scope()` as a context works too).

    Returns:
        The Keras model (in the flavor that can load it: `.keras`/`.h5` in the
        active one, a Keras SavedModel in tf_keras), or None for a SavedModel
        without Keras metadata, which converts from its graph alone.

    Raises:
        UnsafeModelError: code would run (a `ValueError`).
        ValueError: missing, corrupt or foreign file; unknown class.

    Example:

    ```python
    from keras_psa.saving import load_model
    model = load_model("model.keras")            # refuses a Lambda
    model = load_model("trusted.h5", allow_unsafe=True)
    ```
    """
    if not isinstance(allow_unsafe, bool):
        raise TypeError(f"`allow_unsafe` must be True or False. Received: "
                        f"allow_unsafe={allow_unsafe!r}")
    path = os.fspath(path)
    if is_saved_model_dir(path) and not has_keras_metadata(path):
        return None
    if not (path.endswith(KERAS_FILE_SUFFIXES) or is_saved_model_dir(path)):
        raise ValueError(
            "`model` must be a .keras or .h5 file or a SavedModel directory. "
            f"Received: model={path}"
        )
    if allow_unsafe:
        _register_package_layers()
        _warn_unsafe(path)
    else:
        check_model_file(path)
    safe_mode = not allow_unsafe
    try:
        if is_saved_model_dir(path):
            import tf_keras

            # tf_keras' SavedModel loader has no safe mode: the vetting above is it.
            with deserialization_scope(allow_unsafe):
                return tf_keras.models.load_model(path, compile=False,
                                                  custom_objects=custom_objects)
        from keras_psa.keras_flavor import USING_TF_KERAS
        from keras_psa.keras_flavor import keras

        if USING_TF_KERAS:
            with deserialization_scope(allow_unsafe):
                return keras.models.load_model(path, compile=False, safe_mode=safe_mode,
                                               custom_objects=custom_objects)
        return keras.saving.load_model(path, compile=False, safe_mode=safe_mode,
                                       custom_objects=custom_objects)
    except UnsafeModelError:
        raise
    except Exception as error:
        unknown = _unknown_layer_classes(read_model_configs(path), custom_objects)
        if unknown:
            raise ValueError(
                f"`model` must name only layer classes known in this process. Received: "
                f"model={path}, whose config names {unknown}, which neither Keras nor a "
                "registered package defines. Import the package that defines them "
                "(decorated with `keras.saving.register_keras_serializable`), or pass them in "
                "`custom_objects`."
            ) from error
        raise ValueError(f"Could not load Keras model {path}: {error}") from error


def _known_class(name, registered_name, custom_objects):
    import tf_keras

    from keras_psa.keras_flavor import keras

    if name in ("Functional", "Sequential", "Model", "TFOpLambda", "SlicingOpLambda"):
        return True
    if name in (custom_objects or {}) or registered_name in (custom_objects or {}):
        return True
    for module in (keras, tf_keras):
        if hasattr(module.layers, name) or any(
                module.saving.get_registered_object(n) is not None
                for n in (name, registered_name) if n):
            return True
    return False


def _unknown_layer_classes(configs, custom_objects):
    """Class names of layers in `configs` that no loaded code defines."""
    unknown = []

    def visit(node):
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for layer in node.get("layers", []) if isinstance(node.get("layers"), list) else []:
                if isinstance(layer, dict) and isinstance(layer.get("class_name"), str) and not (
                        _known_class(layer["class_name"], layer.get("registered_name"),
                                     custom_objects)):
                    unknown.append(layer["class_name"])
            for value in node.values():
                visit(value)

    visit(configs)
    return sorted(set(unknown))


@contextlib.contextmanager
def deserialization_scope(allow_unsafe):
    """Within it, Keras (both flavors) rebuilds Lambdas from config only if `allow_unsafe`.

    Cloning a loaded model (`clone_model`, `from_config`) deserializes its
    layers again; a trusted model with a Lambda needs safe mode off for that too.
    """
    if not allow_unsafe:
        yield
        return
    from keras.src.saving import serialization_lib as keras3_serialization

    scopes = [keras3_serialization.SafeModeScope(False)]
    if "tf_keras" in sys.modules:
        from tf_keras.src.saving import serialization_lib as tf_keras_serialization

        scopes.append(tf_keras_serialization.SafeModeScope(False))
    with contextlib.ExitStack() as stack:
        for scope in scopes:
            stack.enter_context(scope)
        yield
