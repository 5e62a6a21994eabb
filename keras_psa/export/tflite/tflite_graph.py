"""Read-only view of a TFLite flatbuffer: operators, tensors and constants."""

import dataclasses
import os

import numpy as np
from tensorflow.lite.python import schema_py_generated as schema

_OP_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
_NUMPY_TYPES = {
    "FLOAT32": np.float32,
    "FLOAT16": np.float16,
    "INT32": np.int32,
    "INT64": np.int64,
    "INT8": np.int8,
    "UINT8": np.uint8,
    "INT16": np.int16,
    "BOOL": np.bool_,
}


def _ints(values):
    # The object API returns numpy arrays or lists, or None when empty.
    return [] if values is None else [int(v) for v in values]


def operator_name(model, op):
    """The builtin name of `op` (an `OperatorT` of `model`, a `ModelT`), or its
    custom code for a custom op (e.g. `"DISPATCH_OP"`)."""
    code = model.operatorCodes[op.opcodeIndex]
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
    name = _OP_NAMES.get(builtin, str(builtin))
    if name == "CUSTOM":
        custom = code.customCode
        name = custom.decode() if isinstance(custom, bytes) else custom
    return name


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    dtype: str
    shape: tuple
    shape_signature: tuple
    is_const: bool
    is_quantized: bool
    data: object  # numpy array for constants, else None

    @property
    def rank(self):
        return len(self.shape)

    @property
    def is_dynamic(self):
        return any(d < 0 for d in self.shape_signature)


@dataclasses.dataclass(frozen=True)
class OpInfo:
    index: int
    name: str
    version: int
    inputs: tuple  # TensorInfo or None for an omitted optional input
    outputs: tuple
    options: object  # the schema's *OptionsT object, or None

    @property
    def present_inputs(self):
        return tuple(t for t in self.inputs if t is not None)

    @property
    def runtime_inputs(self):
        return tuple(t for t in self.present_inputs if not t.is_const)

    @property
    def const_inputs(self):
        return tuple(t for t in self.present_inputs if t.is_const)


class TFLiteGraph:
    """The main subgraph of a `.tflite` model, parsed with TensorFlow's own schema.

    Args:
        model_bytes: the flatbuffer contents.
        source: where the bytes came from, used in error messages.

    Example:

    ```python
    graph = TFLiteGraph.from_file("model.tflite")
    [op.name for op in graph.ops][:3]
    # ['CONV_2D', 'HARD_SWISH', 'DEPTHWISE_CONV_2D']
    ```
    """

    def __init__(self, model_bytes, source="<bytes>"):
        model_bytes = bytes(model_bytes)
        # A flatbuffer file identifier sits at bytes 4..8 ("TFL3").
        if len(model_bytes) < 8 or model_bytes[4:8] != b"TFL3":
            raise ValueError(
                f"{source} is not a TFLite model (no 'TFL3' flatbuffer identifier). "
                "Pass a file written by the TFLite converter."
            )
        try:
            root = schema.Model.GetRootAs(model_bytes, 0)
            self.model = schema.ModelT.InitFromObj(root)
        except Exception as error:  # flatbuffers raises assorted errors on corrupt input
            raise ValueError(f"{source} is a corrupt TFLite flatbuffer: {error}") from error
        if not self.model.subgraphs:
            raise ValueError(f"{source} holds no subgraph.")
        self.source = source
        self.size_bytes = len(model_bytes)
        self.num_subgraphs = len(self.model.subgraphs)
        subgraph = self.model.subgraphs[0]
        self.tensors = tuple(
            self._tensor_info(i, t) for i, t in enumerate(subgraph.tensors or [])
        )
        self.inputs = tuple(self.tensors[i] for i in _ints(subgraph.inputs))
        self.outputs = tuple(self.tensors[i] for i in _ints(subgraph.outputs))
        self.ops = tuple(self._op_info(i, op) for i, op in enumerate(subgraph.operators or []))

    @classmethod
    def from_file(cls, path):
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise ValueError(f"`path` must be an existing .tflite file. Received: path={path}")
        with open(path, "rb") as f:
            return cls(f.read(), source=path)

    def _tensor_info(self, index, tensor):
        buffers = self.model.buffers
        buffer = buffers[tensor.buffer] if tensor.buffer < len(buffers) else None
        raw = None
        if buffer is not None and buffer.data is not None and len(buffer.data):
            raw = np.asarray(buffer.data, dtype=np.uint8)
        is_const = raw is not None or bool(buffer is not None and buffer.offset > 1)
        dtype = _TYPE_NAMES.get(tensor.type, str(tensor.type))
        shape = tuple(int(d) for d in (tensor.shape if tensor.shape is not None else ()))
        signature = tensor.shapeSignature
        signature = tuple(int(d) for d in signature) if signature is not None else shape
        data = None
        if raw is not None and dtype in _NUMPY_TYPES:
            data = raw.view(_NUMPY_TYPES[dtype]).reshape(shape)
        q = tensor.quantization
        is_quantized = bool(q is not None and q.scale is not None and len(q.scale))
        return TensorInfo(
            index=index,
            name=(tensor.name.decode() if isinstance(tensor.name, bytes) else tensor.name) or "",
            dtype=dtype,
            shape=shape,
            shape_signature=signature,
            is_const=is_const,
            is_quantized=is_quantized,
            data=data,
        )

    def _op_info(self, index, op):
        code = self.model.operatorCodes[op.opcodeIndex]
        return OpInfo(
            index=index,
            name=operator_name(self.model, op),
            version=int(code.version),
            inputs=tuple(self.tensors[i] if i >= 0 else None for i in _ints(op.inputs)),
            outputs=tuple(self.tensors[i] for i in _ints(op.outputs) if i >= 0),
            options=op.builtinOptions if op.builtinOptions is not None else op.builtinOptions2,
        )

    def op_histogram(self):
        counts = {}
        for op in self.ops:
            counts[op.name] = counts.get(op.name, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
