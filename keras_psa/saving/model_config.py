"""Reads a saved Keras model's config straight from the file, before Keras sees it.

`.keras` archives (config.json), HDF5 files (the `model_config` attribute)
and tf_keras SavedModels (keras_metadata.pb): the configs come back as plain
JSON values, nothing deserialized, so they can be vetted first.
"""

import json
import os
import posixpath
import zipfile

KERAS_ARCHIVE_SUFFIXES = (".keras",)
HDF5_SUFFIXES = (".h5", ".hdf5")
KERAS_FILE_SUFFIXES = KERAS_ARCHIVE_SUFFIXES + HDF5_SUFFIXES


def is_saved_model_dir(path):
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "saved_model.pb"))


def has_keras_metadata(path):
    return os.path.isfile(os.path.join(path, "keras_metadata.pb"))


def _check_member_names(path, names):
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise ValueError(
                f"`model` must be a .keras archive whose members stay inside it. "
                f"Received: model={path} with the member {name!r}, which points outside "
                "(path traversal). The file is corrupt or hostile; nothing was extracted."
            )


def _archive_config(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            _check_member_names(path, names)
            if "config.json" not in {posixpath.normpath(n) for n in names}:
                raise ValueError(
                    f"`model` must be a .keras archive with a config.json. Received: "
                    f"model={path} (members: {names[:8]}). Save it with model.save('x.keras')."
                )
            text = archive.read("config.json")
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"`model` must be a .keras archive (a zip file). Received: model={path}, which "
            f"is not one ({error}): truncated, corrupt or another format."
        ) from None
    return [_parse_json(path, text, "config.json")]


def _hdf5_config(path):
    import h5py

    try:
        with h5py.File(path, "r") as file:
            text = file.attrs.get("model_config")
    except OSError as error:
        raise ValueError(
            f"`model` must be a readable HDF5 file. Received: model={path}, which h5py cannot "
            f"open ({str(error).splitlines()[0]}): truncated, corrupt or another format."
        ) from None
    if text is None:
        raise ValueError(
            f"`model` must be a whole saved model. Received: model={path}, an HDF5 file with "
            "no model config (a weights-only file?). Build the model, then call "
            "model.load_weights(path)."
        )
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return [_parse_json(path, text, "model_config")]


def _saved_model_configs(path):
    from tf_keras.protobuf import saved_metadata_pb2

    metadata = saved_metadata_pb2.SavedMetadata()
    try:
        with open(os.path.join(path, "keras_metadata.pb"), "rb") as file:
            metadata.ParseFromString(file.read())
    except Exception as error:  # protobuf's DecodeError has no stable import path
        raise ValueError(
            f"`model` must be a SavedModel with readable Keras metadata. Received: "
            f"model={path}, whose keras_metadata.pb cannot be parsed ({error})."
        ) from None
    configs = []
    for node in metadata.nodes:
        value = _parse_json(path, node.metadata, f"keras_metadata.pb node {node.node_path}")
        if isinstance(value, dict):
            value.setdefault("name", node.node_path)
        configs.append(value)
    return configs


def _parse_json(path, text, where):
    try:
        return json.loads(text)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"`model` must hold a JSON model config. Received: model={path}, whose {where} "
            f"is not valid JSON ({error})."
        ) from None


def read_model_configs(path):
    """Returns the model configs stored in `path` as JSON values, nothing deserialized.

    Args:
        path: a `.keras` archive, an `.h5`/`.hdf5` file, or a SavedModel
            folder written by tf_keras (with `keras_metadata.pb`).

    Returns:
        A list of configs: one for `.keras` and HDF5 files, one per saved
        object for a SavedModel.

    Raises:
        ValueError: the file is missing, corrupt, of another format, or an
            archive member points outside the archive.
    """
    path = os.fspath(path)
    if path.endswith(KERAS_ARCHIVE_SUFFIXES) and os.path.isfile(path):
        return _archive_config(path)
    if path.endswith(HDF5_SUFFIXES) and os.path.isfile(path):
        return _hdf5_config(path)
    if is_saved_model_dir(path) and has_keras_metadata(path):
        return _saved_model_configs(path)
    raise ValueError(
        "`model` must be an existing .keras or .h5 file, or a SavedModel folder with "
        f"keras_metadata.pb. Received: model={path}"
    )
