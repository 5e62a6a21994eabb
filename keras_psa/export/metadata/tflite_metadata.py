"""The model metadata of a `.tflite` file, as MediaPipe Tasks reads it."""

import dataclasses
import os

from keras_psa.export.metadata import metadata_schema as schema
from keras_psa.export.metadata.associated_files import read_associated_files
from keras_psa.export.tflite.tflite_graph import TFLiteGraph

_ACTIVATION_NAMES = {v: k for k, v in schema.SEGMENTER_ACTIVATIONS.items()}
_COLOR_NAMES = {v: k for k, v in schema.COLOR_SPACES.items()}


@dataclasses.dataclass(frozen=True)
class TFLiteMetadata:
    """What a `.tflite` file's "TFLITE_METADATA" buffer and packed files say.

    Attributes:
        name, description, version, author, license: model facts (None when
            absent).
        min_parser_version: the metadata schema version a reader needs.
        input_color_space: "RGB", "GRAYSCALE", "UNKNOWN" or None.
        normalization: `{"mean": [...], "std": [...]}` of the input, or None.
        input_stats: `{"min": [...], "max": [...]}` of the input, or None.
        output_name: the output tensor's metadata name ("segmentation_masks",
            "heatmaps", ...).
        labels: names from the output's TENSOR_AXIS_LABELS file, or None.
        label_file: that file's name, or None.
        output_activation: "none", "sigmoid" or "softmax" from MediaPipe's
            segmenter options, or None when the model records none.
        associated_files: names of the files packed in the model.
        raw: the whole metadata table as nested dicts.
    """

    name: object
    description: object
    version: object
    author: object
    license: object
    min_parser_version: object
    input_color_space: object
    normalization: object
    input_stats: object
    output_name: object
    labels: object
    label_file: object
    output_activation: object
    associated_files: tuple
    raw: dict

    @property
    def input_range(self):
        """`(low, high)` the model's input takes, from the input stats; or None."""
        stats = self.input_stats or {}
        low, high = (stats.get(key) or [None] for key in ("min", "max"))
        if low[0] is None or high[0] is None or not high[0] > low[0]:
            return None
        return float(low[0]), float(high[0])

    def to_dict(self):
        values = dataclasses.asdict(self)
        values.pop("raw")
        values["associated_files"] = list(self.associated_files)
        return values

    def summary(self):
        labels = (f"{len(self.labels)} labels ({', '.join(self.labels[:4])}"
                  f"{', ...' if len(self.labels) > 4 else ''})" if self.labels else "no labels")
        norm = (f"mean {self.normalization['mean']} std {self.normalization['std']}"
                if self.normalization else "no normalization")
        return (f"metadata: {self.name} v{self.version}, {self.input_color_space} input, "
                f"{norm}, {labels}, activation {self.output_activation}, "
                f"parser >= {self.min_parser_version}")


def _first(items):
    return items[0] if items else {}


def read_metadata(model):
    """Reads the model metadata of a `.tflite` file or its bytes.

    Args:
        model: path of a `.tflite` file, or its bytes.

    Returns:
        A `TFLiteMetadata`, or None when the model has no "TFLITE_METADATA".

    Example:

    ```python
    meta = read_metadata("model.tflite")
    meta.labels  # ['background', 'person']
    ```
    """
    if isinstance(model, (str, os.PathLike)):
        graph = TFLiteGraph.from_file(model)
        with open(os.fspath(model), "rb") as file:
            model_bytes = file.read()
    else:
        model_bytes = bytes(model)
        graph = TFLiteGraph(model_bytes)
    entries = [m for m in (graph.model.metadata or [])
               if (m.name.decode() if isinstance(m.name, bytes) else m.name) == "TFLITE_METADATA"]
    if not entries:
        return None
    data = graph.model.buffers[entries[0].buffer].data
    raw = schema.unpack(bytes(bytearray(data)), "ModelMetadata", schema.METADATA_FILE_IDENTIFIER)
    subgraph = _first(raw.get("subgraph_metadata"))
    image = _first(subgraph.get("input_tensor_metadata"))
    output = _first(subgraph.get("output_tensor_metadata"))
    files = read_associated_files(model_bytes)
    properties = image.get("content", {}).get("content_properties", {})
    color = (_COLOR_NAMES.get(properties.get("color_space"), "UNKNOWN")
             if properties.get("_type") == "ImageProperties" else None)
    normalization = None
    for unit in image.get("process_units", []):
        options = unit.get("options", {})
        if options.get("_type") == "NormalizationOptions":
            normalization = {"mean": options.get("mean"), "std": options.get("std")}
    label_file = next((f["name"] for f in output.get("associated_files", [])
                       if f.get("type") == schema.ASSOCIATED_FILE_TYPES["TENSOR_AXIS_LABELS"]),
                      None)
    labels = None
    if label_file is not None and label_file in files:
        labels = files[label_file].decode("utf-8").splitlines()
    activation = None
    for custom in subgraph.get("custom_metadata", []):
        if custom.get("name") == "SEGMENTER_METADATA":
            options = schema.unpack(custom["data"], "ImageSegmenterOptions",
                                    schema.SEGMENTER_OPTIONS_FILE_IDENTIFIER)
            activation = _ACTIVATION_NAMES.get(options.get("activation", 0), "unknown")
    return TFLiteMetadata(
        name=raw.get("name"), description=raw.get("description"), version=raw.get("version"),
        author=raw.get("author"), license=raw.get("license"),
        min_parser_version=raw.get("min_parser_version"),
        input_color_space=color, normalization=normalization,
        input_stats=image.get("stats"), output_name=output.get("name"),
        labels=labels, label_file=label_file, output_activation=activation,
        associated_files=tuple(files), raw=raw,
    )
