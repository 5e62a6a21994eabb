"""The parts of TFLite's model-metadata schema that image models use, as a small codec.

The metadata MediaPipe Tasks and the TFLite Support library read is a
FlatBuffer of `metadata_schema.fbs` (google-ai-edge/mediapipe
`mediapipe/tasks/metadata/metadata_schema.fbs`, identical to tensorflow/tflite-support
`tensorflow_lite_support/metadata/metadata_schema.fbs`; file identifier "M001").
The packages that ship generated code for it (mediapipe, tflite-support) cannot be
installed beside TensorFlow 2.21 and tfmot (see docs/mediapipe.md), so the tables
are described here by their field slots and packed with the `flatbuffers`
runtime that TensorFlow already brings. Field slots follow the declaration order
in the schema; a union takes two slots (its type, then its value).

Tables are plain dicts keyed by the schema's field names; a union value is a
dict with its member table's name under `"_type"`.
"""

import flatbuffers
from flatbuffers import number_types
from flatbuffers.table import Table

METADATA_FILE_IDENTIFIER = b"M001"
# The custom metadata MediaPipe's ImageSegmenter reads its output activation from
# (mediapipe/tasks/metadata/image_segmenter_metadata_schema.fbs).
SEGMENTER_OPTIONS_FILE_IDENTIFIER = b"V001"

# Enums of the schema (values as declared there).
ASSOCIATED_FILE_TYPES = {"UNKNOWN": 0, "DESCRIPTIONS": 1, "TENSOR_AXIS_LABELS": 2,
                         "TENSOR_VALUE_LABELS": 3, "TENSOR_AXIS_SCORE_CALIBRATION": 4,
                         "VOCABULARY": 5, "SCANN_INDEX_FILE": 6}
COLOR_SPACES = {"UNKNOWN": 0, "RGB": 1, "GRAYSCALE": 2}
SEGMENTER_ACTIVATIONS = {"none": 0, "sigmoid": 1, "softmax": 2}

# Union members in declaration order; type code 0 is NONE.
UNIONS = {
    "ContentProperties": ("FeatureProperties", "ImageProperties", "BoundingBoxProperties",
                          "AudioProperties"),
    "ProcessUnitOptions": ("NormalizationOptions", "ScoreCalibrationOptions",
                           "ScoreThresholdingOptions", "BertTokenizerOptions",
                           "SentencePieceTokenizerOptions", "RegexTokenizerOptions"),
}

# table name -> ((slot, field, kind), ...). Kinds: "string", "int8", "uint32",
# "int32", "[float32]", "[string]", "[ubyte]" (16-byte aligned), a table name,
# "[TableName]", or ("union", UnionName) taking slots `slot` and `slot + 1`.
TABLES = {
    "AssociatedFile": ((0, "name", "string"), (1, "description", "string"),
                       (2, "type", "int8"), (3, "locale", "string"), (4, "version", "string")),
    "FeatureProperties": (),
    "ImageSize": ((0, "width", "uint32"), (1, "height", "uint32")),
    "ImageProperties": ((0, "color_space", "int8"), (1, "default_size", "ImageSize")),
    "ValueRange": ((0, "min", "int32"), (1, "max", "int32")),
    "Content": ((0, "content_properties", ("union", "ContentProperties")),
                (2, "range", "ValueRange")),
    "NormalizationOptions": ((0, "mean", "[float32]"), (1, "std", "[float32]")),
    "ProcessUnit": ((0, "options", ("union", "ProcessUnitOptions")),),
    "Stats": ((0, "max", "[float32]"), (1, "min", "[float32]")),
    "TensorMetadata": ((0, "name", "string"), (1, "description", "string"),
                       (2, "dimension_names", "[string]"), (3, "content", "Content"),
                       (4, "process_units", "[ProcessUnit]"), (5, "stats", "Stats"),
                       (6, "associated_files", "[AssociatedFile]")),
    "CustomMetadata": ((0, "name", "string"), (1, "data", "[ubyte]")),
    "SubGraphMetadata": ((0, "name", "string"), (1, "description", "string"),
                         (2, "input_tensor_metadata", "[TensorMetadata]"),
                         (3, "output_tensor_metadata", "[TensorMetadata]"),
                         (4, "associated_files", "[AssociatedFile]"),
                         (5, "input_process_units", "[ProcessUnit]"),
                         (6, "output_process_units", "[ProcessUnit]"),
                         (9, "custom_metadata", "[CustomMetadata]")),
    "ModelMetadata": ((0, "name", "string"), (1, "description", "string"),
                      (2, "version", "string"),
                      (3, "subgraph_metadata", "[SubGraphMetadata]"),
                      (4, "author", "string"), (5, "license", "string"),
                      (6, "associated_files", "[AssociatedFile]"),
                      (7, "min_parser_version", "string")),
    # mediapipe/tasks/metadata/image_segmenter_metadata_schema.fbs
    "ImageSegmenterOptions": ((0, "activation", "int8"), (1, "min_parser_version", "string")),
}
# Slots used by later fields that this codec does not write (input/output tensor
# groups of SubGraphMetadata), so that its vtable has the schema's size.
_NUM_SLOTS = {"SubGraphMetadata": 10, "Content": 3, "ProcessUnit": 2}


def _num_slots(table):
    fields = TABLES[table]
    last = max((slot + (2 if isinstance(kind, tuple) else 1) for slot, _, kind in fields),
               default=0)
    return max(last, _NUM_SLOTS.get(table, 0))


def _pack_value(builder, kind, value):
    """Builds an offset-typed value (string, vector, table); returns its offset."""
    if kind == "string":
        return builder.CreateString(value)
    if kind == "[ubyte]":
        data = bytes(value)
        # force_align: 16 in the schema, so nested FlatBuffers can be read in place.
        builder.StartVector(1, len(data), 16)
        builder.head = builder.head - len(data)
        builder.Bytes[builder.head:builder.head + len(data)] = data
        return builder.EndVector()
    if kind == "[float32]":
        builder.StartVector(4, len(value), 4)
        for item in reversed(value):
            builder.PrependFloat32(float(item))
        return builder.EndVector()
    if kind.startswith("["):
        element = kind[1:-1]
        offsets = [_pack_value(builder, element, item) for item in value]
        builder.StartVector(4, len(offsets), 4)
        for offset in reversed(offsets):
            builder.PrependUOffsetTRelative(offset)
        return builder.EndVector()
    return pack_table(builder, kind, value)


def pack_table(builder, table, values):
    """Writes table `table` with the fields in dict `values`; returns its offset."""
    known = {name for _, name, _ in TABLES[table]}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"Table {table} has no fields {unknown}. Known: {sorted(known)}")
    offsets = {}
    for _slot, name, kind in TABLES[table]:
        value = values.get(name)
        if value is None or kind in ("int8", "uint32", "int32"):
            continue
        if isinstance(kind, tuple):
            member = value["_type"]
            fields = {k: v for k, v in value.items() if k != "_type"}
            offsets[name] = pack_table(builder, member, fields)
        else:
            offsets[name] = _pack_value(builder, kind, value)
    builder.StartObject(_num_slots(table))
    for slot, name, kind in TABLES[table]:
        value = values.get(name)
        if value is None:
            continue
        if kind == "int8":
            builder.PrependInt8Slot(slot, int(value), 0)
        elif kind == "uint32":
            builder.PrependUint32Slot(slot, int(value), 0)
        elif kind == "int32":
            builder.PrependInt32Slot(slot, int(value), 0)
        elif isinstance(kind, tuple):
            type_code = UNIONS[kind[1]].index(value["_type"]) + 1
            builder.PrependUint8Slot(slot, type_code, 0)
            builder.PrependUOffsetTRelativeSlot(slot + 1, offsets[name], 0)
        else:
            builder.PrependUOffsetTRelativeSlot(slot, offsets[name], 0)
    return builder.EndObject()


def pack(table, values, file_identifier):
    """Returns the bytes of a FlatBuffer whose root is `table` filled from `values`."""
    builder = flatbuffers.Builder(1024)
    root = pack_table(builder, table, values)
    builder.Finish(root, file_identifier)
    return bytes(builder.Output())


def _field_offset(tab, slot):
    return tab.Offset(4 + 2 * slot)


def _unpack_value(tab, offset, kind):
    if kind == "string":
        return tab.String(offset + tab.Pos).decode("utf-8")
    if kind.startswith("["):
        element = kind[1:-1]
        start = tab.Vector(offset)
        length = tab.VectorLen(offset)
        if element == "ubyte":
            return bytes(tab.Bytes[start:start + length])
        if element == "float32":
            return [float(tab.Get(number_types.Float32Flags, start + 4 * i))
                    for i in range(length)]
        items = []
        for i in range(length):
            position = start + 4 * i
            if element == "string":
                items.append(tab.String(position).decode("utf-8"))
            else:
                items.append(unpack_table(tab.Bytes, tab.Indirect(position), element))
        return items
    return unpack_table(tab.Bytes, tab.Indirect(offset + tab.Pos), kind)


def unpack_table(data, position, table):
    """Reads table `table` at `position` of `data` into a dict (absent fields left out)."""
    tab = Table(data, position)
    values = {}
    scalars = {"int8": number_types.Int8Flags, "uint32": number_types.Uint32Flags,
               "int32": number_types.Int32Flags}
    for slot, name, kind in TABLES[table]:
        offset = _field_offset(tab, slot)
        if kind in scalars:
            values[name] = tab.Get(scalars[kind], offset + tab.Pos) if offset else 0
        elif isinstance(kind, tuple):
            type_code = tab.Get(number_types.Uint8Flags, offset + tab.Pos) if offset else 0
            value_offset = _field_offset(tab, slot + 1)
            if type_code and value_offset:
                member = UNIONS[kind[1]][type_code - 1]
                if member in TABLES:
                    union_tab = Table(data, 0)
                    tab.Union(union_tab, value_offset)
                    values[name] = {"_type": member,
                                    **unpack_table(data, union_tab.Pos, member)}
                else:
                    values[name] = {"_type": member}
        elif offset:
            values[name] = _unpack_value(tab, offset, kind)
    return values


def unpack(data, table, file_identifier):
    """Reads a FlatBuffer whose root is `table`; raises ValueError if it is not one."""
    data = bytes(data)
    if len(data) < 8 or data[4:8] != file_identifier:
        raise ValueError(
            f"Not a {table} FlatBuffer: file identifier {data[4:8]!r}, "
            f"expected {file_identifier!r}."
        )
    try:
        root = number_types.UOffsetTFlags.py_type(
            flatbuffers.encode.Get(number_types.UOffsetTFlags.packer_type, data, 0))
        return unpack_table(bytearray(data), root, table)
    except Exception as error:  # flatbuffers raises assorted errors on corrupt input
        raise ValueError(f"Corrupt {table} FlatBuffer: {error}") from error
