"""Writes the model metadata MediaPipe Tasks reads into segmentation and heatmap `.tflite` models.

MediaPipe's `ImageSegmenter` (and TFLite Support's task library) need, beside
the graph: the input's normalization (for a float32 input), its colour space,
the label file of the output's class axis, and the output activation. They are
written the way MediaPipe's own `image_segmenter.MetadataWriter` writes them
(the same tables, names and `min_parser_version`), without its package.
"""

import numpy as np
from tensorflow.lite.python import schema_py_generated as tflite_schema
from tensorflow.lite.tools import flatbuffer_utils

from keras_psa.export.metadata import metadata_schema as schema
from keras_psa.export.metadata.associated_files import append_associated_files
from keras_psa.export.metadata.label_names import parse_names
from keras_psa.export.tflite.tflite_graph import TFLiteGraph

METADATA_BUFFER_NAME = "TFLITE_METADATA"
OUTPUT_ACTIVATIONS = ("none", "softmax")
LABEL_FILE = "labels.txt"
KEYPOINT_FILE = "keypoints.txt"
# Versions of metadata_schema.fbs that first had the fields written here:
# 1.0.0 for everything but CustomMetadata (1.5.0), which carries the activation.
_PARSER_VERSION = "1.0.0"
_PARSER_VERSION_CUSTOM_METADATA = "1.5.0"
_SEGMENTER_OPTIONS_NAME = "SEGMENTER_METADATA"


def _image_model_graph(model_bytes, kind):
    """Parses the model and checks the one-image-in, one-map-out form MediaPipe needs."""
    if not isinstance(model_bytes, (bytes, bytearray, memoryview)):
        raise TypeError(f"`model_bytes` must be the bytes of a .tflite file. "
                        f"Received: {type(model_bytes).__name__}")
    graph = TFLiteGraph(model_bytes, source="`model_bytes`")
    if len(graph.inputs) != 1:
        raise ValueError(
            f"{kind} metadata needs a model with one image input. "
            f"Received: {len(graph.inputs)} inputs"
        )
    image = graph.inputs[0]
    if image.rank != 4 or image.shape[0] != 1 or image.shape[3] != 3:
        raise ValueError(
            f"{kind} metadata needs an RGB image input of shape (1, height, width, 3). "
            f"Received: input shape={image.shape}"
        )
    if image.is_dynamic:
        raise ValueError(
            f"{kind} metadata needs a fixed input size (MediaPipe resizes images to it). "
            f"Convert with static_batch=True and an input_size. "
            f"Received: input shape signature={image.shape_signature}"
        )
    if image.dtype not in ("FLOAT32", "UINT8"):
        raise ValueError(
            "MediaPipe Tasks takes float32 or uint8 image input. Convert with "
            "input_dtype='uint8' (int8 model, uint8 camera frames in) or without int8_io. "
            f"Received: input dtype={image.dtype}"
        )
    if len(graph.outputs) != 1:
        raise ValueError(
            f"{kind} metadata needs a model with one output: MediaPipe reads only one. "
            "Build the model with output='logits' (not 'logits_and_labels'); "
            "MediaPipe's category mask is the argmax. "
            f"Received: {len(graph.outputs)} outputs {[t.name for t in graph.outputs]}"
        )
    output = graph.outputs[0]
    if output.rank != 4 or output.shape[0] != 1 or output.is_dynamic:
        raise ValueError(
            f"{kind} metadata needs an output of fixed shape (1, height, width, channels). "
            f"Received: output shape signature={output.shape_signature}"
        )
    return graph


def _normalization(input_range):
    """MediaPipe's (pixel - mean) / std that maps pixels 0..255 onto `input_range`."""
    try:
        low, high = (float(v) for v in input_range)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not high > low:
        raise ValueError(
            "`input_range` must be (low, high) with low < high: the value range the model "
            f"takes for pixels 0..255. Received: input_range={input_range!r}"
        )
    std = 255.0 / (high - low)
    return (-low * std) or 0.0, std  # no -0.0


def _input_metadata(image, input_range):
    mean, std = _normalization(input_range)
    if image.dtype == "UINT8":
        low, high = 0.0, 255.0
    else:
        low, high = (0.0 - mean) / std, (255.0 - mean) / std
    return {
        "name": "image",
        "description": "Input image to be processed, RGB.",
        "content": {"content_properties": {"_type": "ImageProperties",
                                           "color_space": schema.COLOR_SPACES["RGB"]}},
        "process_units": [{"options": {"_type": "NormalizationOptions",
                                       "mean": [mean], "std": [std]}}],
        "stats": {"max": [high], "min": [low]},
    }


def _map_output_metadata(name, description, label_file):
    metadata = {
        "name": name,
        "description": description,
        # The output is a stack of grayscale maps (dims 1 and 2 of NHWC).
        "content": {"content_properties": {"_type": "ImageProperties",
                                           "color_space": schema.COLOR_SPACES["GRAYSCALE"]},
                    "range": {"min": 1, "max": 2}},
    }
    if label_file is not None:
        metadata["associated_files"] = [{
            "name": label_file,
            "description": "Names of the output channels, one per line.",
            "type": schema.ASSOCIATED_FILE_TYPES["TENSOR_AXIS_LABELS"],
        }]
    return metadata


def _names_for(names, arg, channels):
    if names is None:
        return None
    names = parse_names(names, arg)
    if len(names) != channels:
        raise ValueError(
            f"`{arg}` must give one name per output channel: the model has {channels}. "
            f"Received: {len(names)} names {names}"
        )
    return names


def _check_text(value, arg):
    if value is not None and not isinstance(value, str):
        raise TypeError(f"`{arg}` must be a string. Received: {arg}={value!r}")
    return value


def populate_metadata(model_bytes, metadata_bytes, files=None):
    """Puts `metadata_bytes` into the model's "TFLITE_METADATA" buffer and zips
    `files` onto the end, replacing any metadata and packed files it had.

    Returns:
        The new `.tflite` bytes.
    """
    # The object-API round trip drops any archive appended to the FlatBuffer.
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    buffer = tflite_schema.BufferT()
    buffer.data = np.frombuffer(metadata_bytes, dtype=np.uint8)
    model.metadata = list(model.metadata or [])
    entries = [m for m in model.metadata if _text(m.name) == METADATA_BUFFER_NAME]
    if entries:
        model.buffers[entries[0].buffer] = buffer
    else:
        model.buffers.append(buffer)
        entry = tflite_schema.MetadataT()
        entry.name = METADATA_BUFFER_NAME
        entry.buffer = len(model.buffers) - 1
        model.metadata.append(entry)
    new_bytes = flatbuffer_utils.convert_object_to_bytearray(model)
    return append_associated_files(new_bytes, files or {})


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _write(model_bytes, graph, *, input_range, name, description, version, author, license_text,
           output_metadata, custom_metadata, files):
    subgraph = {"input_tensor_metadata": [_input_metadata(graph.inputs[0], input_range)],
                "output_tensor_metadata": [output_metadata]}
    if custom_metadata:
        subgraph["custom_metadata"] = custom_metadata
    metadata = {
        "name": name, "description": description, "version": version,
        "author": author, "license": license_text,
        "subgraph_metadata": [subgraph],
        "min_parser_version": (_PARSER_VERSION_CUSTOM_METADATA if custom_metadata
                               else _PARSER_VERSION),
    }
    metadata_bytes = schema.pack("ModelMetadata", metadata, schema.METADATA_FILE_IDENTIFIER)
    return populate_metadata(model_bytes, metadata_bytes, files)


def write_segmenter_metadata(model_bytes, *, labels=None, input_range=(0.0, 255.0),
                             output_activation="none", name="ImageSegmenter",
                             description=None, version="1", author=None, license=None):
    """Returns `model_bytes` with the metadata of an image segmenter.

    The result loads in MediaPipe Tasks' `ImageSegmenter`: it stretches each
    image to the model's input size, normalizes it as the metadata says, and
    returns confidence masks (one per class) and a category mask (their argmax)
    at the image's size, with the class names of the label file.

    Args:
        model_bytes: a `.tflite` with one `(1, H, W, 3)` float32 or uint8 input
            and one `(1, h, w, classes)` output (any `h, w`: MediaPipe resizes
            the masks to the image).
        labels: class names (list, label file with one name per line, or
            "a,b,c"), one per output channel; packed as `labels.txt`. None
            for no names.
        input_range: the values the model takes for pixels 0..255: `(0, 255)`
            for keras_psa models (they rescale inside), giving normalization
            mean 0, std 1; `(0, 1)` gives std 255; `(-1, 1)` mean and std
            127.5. A uint8 input gets the raw pixels.
        output_activation: `"none"` (confidence masks are the logits) or
            `"softmax"` (MediaPipe applies a softmax over the classes).
        name, description, version, author, license: model facts shown by
            metadata readers.

    Returns:
        The new `.tflite` bytes.

    Example:

    ```python
    data = write_segmenter_metadata(open("model.tflite", "rb").read(),
                                    labels=["background", "person"])
    ```
    """
    graph = _image_model_graph(model_bytes, "Segmenter")
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"`output_activation` must be one of {OUTPUT_ACTIVATIONS}. "
                         f"Received: output_activation={output_activation!r}")
    for arg, value in (("name", name), ("description", description), ("version", version),
                       ("author", author), ("license", license)):
        _check_text(value, arg)
    _normalization(input_range)
    classes = graph.outputs[0].shape[3]
    names = _names_for(labels, "labels", classes)
    if description is None:
        description = (f"Semantic segmentation into {classes} classes: per-pixel logits "
                       f"at {graph.outputs[0].shape[1]}x{graph.outputs[0].shape[2]} for "
                       f"a {graph.inputs[0].shape[1]}x{graph.inputs[0].shape[2]} RGB image.")
    options = schema.pack("ImageSegmenterOptions",
                          {"activation": schema.SEGMENTER_ACTIVATIONS[output_activation]},
                          schema.SEGMENTER_OPTIONS_FILE_IDENTIFIER)
    output_metadata = _map_output_metadata(
        "segmentation_masks", "Per-pixel class scores (logits unless the activation says "
        "otherwise).", LABEL_FILE if names else None)
    return _write(model_bytes, graph, input_range=input_range, name=name,
                  description=description, version=version, author=author, license_text=license,
                  output_metadata=output_metadata,
                  custom_metadata=[{"name": _SEGMENTER_OPTIONS_NAME, "data": options}],
                  files={LABEL_FILE: "\n".join(names).encode()} if names else None)


def write_heatmap_metadata(model_bytes, *, keypoint_names=None, input_range=(0.0, 255.0),
                           name="KeypointHeatmaps", description=None, version="1",
                           author=None, license=None):
    """Returns `model_bytes` with the metadata of a keypoint-heatmap model.

    The same image input metadata as `write_segmenter_metadata`; the output is
    described as one heatmap per keypoint, with the keypoint names (if given)
    packed as `keypoints.txt`. No output activation is recorded: the model's
    own (sigmoid or linear) is part of the graph.

    Args:
        model_bytes: a `.tflite` with one `(1, H, W, 3)` float32 or uint8 input
            and one `(1, h, w, keypoints)` output.
        keypoint_names: one name per output channel (list, file or "a,b,c"),
            or None.
        input_range, name, description, version, author, license: as in
            `write_segmenter_metadata`.

    Returns:
        The new `.tflite` bytes.
    """
    graph = _image_model_graph(model_bytes, "Heatmap")
    for arg, value in (("name", name), ("description", description), ("version", version),
                       ("author", author), ("license", license)):
        _check_text(value, arg)
    _normalization(input_range)
    channels = graph.outputs[0].shape[3]
    names = _names_for(keypoint_names, "keypoint_names", channels)
    if description is None:
        description = (f"Keypoint heatmaps: {channels} maps at {graph.outputs[0].shape[1]}x"
                       f"{graph.outputs[0].shape[2]} for a {graph.inputs[0].shape[1]}x"
                       f"{graph.inputs[0].shape[2]} RGB image. A peak at heatmap (x, y) is "
                       "the input pixel (x * (W - 1) / (w - 1), y * (H - 1) / (h - 1)) (UDP).")
    output_metadata = _map_output_metadata("heatmaps", "One heatmap per keypoint.",
                                           KEYPOINT_FILE if names else None)
    return _write(model_bytes, graph, input_range=input_range, name=name,
                  description=description, version=version, author=author, license_text=license,
                  output_metadata=output_metadata,
                  custom_metadata=None,
                  files={KEYPOINT_FILE: "\n".join(names).encode()} if names else None)
