"""Runs chosen int8 ops of a `.tflite` model in float32, between DEQUANTIZE and QUANTIZE.

XNNPACK's TFLite delegate has no int8 kernel for some ops (SOFTMAX, RSQRT,
MAXIMUM, ...; see docs/xnnpack_int8_ops.md) and leaves them to TFLite's own
kernels, splitting its graph. Given an all-int8 model, for example a QAT model
converted with `Optimize.DEFAULT`, this rewrites each such op to read
dequantized inputs and write a float result that is quantized back to the
original int8 tensor, with the original scale and zero point. XNNPACK takes
DEQUANTIZE, the float op and QUANTIZE, so it runs the whole graph; the model's
int8 tensors, weights and outputs are unchanged, and the values differ from the
int8 kernels' by rounding only.
"""

import os
import tempfile

import numpy as np
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

from keras_psa.export.metadata.associated_files import keep_associated_files

_INT8 = schema.TensorType.INT8
_FLOAT32 = schema.TensorType.FLOAT32
# Builtin op versions of the int8 forms of QUANTIZE (float -> int8) and DEQUANTIZE.
_INT8_VERSION = 2


def _opcode_index(model, builtin_code):
    for index, opcode in enumerate(model.operatorCodes):
        if max(opcode.builtinCode, opcode.deprecatedBuiltinCode) == builtin_code:
            opcode.version = max(opcode.version, _INT8_VERSION)
            return index
    opcode = schema.OperatorCodeT()
    opcode.builtinCode = builtin_code
    opcode.deprecatedBuiltinCode = min(builtin_code, 127)
    opcode.version = _INT8_VERSION
    model.operatorCodes.append(opcode)
    return len(model.operatorCodes) - 1


def _float_copy(subgraph, tensor_index):
    original = subgraph.tensors[tensor_index]
    tensor = schema.TensorT()
    tensor.name = (original.name or b"") + b"/float"
    tensor.shape = None if original.shape is None else list(original.shape)
    tensor.shapeSignature = (None if original.shapeSignature is None
                             else list(original.shapeSignature))
    tensor.type = _FLOAT32
    tensor.buffer = 0  # the empty buffer: computed at run time
    subgraph.tensors.append(tensor)
    return len(subgraph.tensors) - 1


def _folded_constant(model, subgraph, tensor_index, rank_one):
    """A float32 constant holding the dequantized values of an int8 constant,
    or None when the tensor is not a per-tensor int8 constant.

    A constant needs no DEQUANTIZE op at run time, and the GPU delegate refuses
    a DEQUANTIZE or an elementwise operand of rank 0 (LayerNorm's epsilon): with
    `rank_one` a scalar becomes shape [1], which broadcasts the same.
    """
    original = subgraph.tensors[tensor_index]
    data = model.buffers[original.buffer].data if original.buffer else None
    quantization = original.quantization
    if (data is None or len(data) == 0 or quantization is None
            or quantization.scale is None or len(quantization.scale) != 1):
        return None
    values = np.frombuffer(bytes(bytearray(data)), np.int8).astype(np.float32)
    zero_point = quantization.zeroPoint[0] if quantization.zeroPoint is not None else 0
    values = (values - np.float32(zero_point)) * np.float32(quantization.scale[0])
    shape = [] if original.shape is None else list(original.shape)
    if rank_one and not shape:
        shape = [1]
    buffer = schema.BufferT()
    buffer.data = np.asarray(values, "<f4").tobytes()
    model.buffers.append(buffer)
    tensor = schema.TensorT()
    tensor.name = (original.name or b"") + b"/float"
    tensor.shape = shape
    tensor.type = _FLOAT32
    tensor.buffer = len(model.buffers) - 1
    subgraph.tensors.append(tensor)
    return len(subgraph.tensors) - 1


def _single_op(opcode_index, inputs, outputs):
    op = schema.OperatorT()
    op.opcodeIndex = opcode_index
    op.inputs = list(inputs)
    op.outputs = list(outputs)
    return op


def run_ops_in_float(model_bytes, op_indices, subgraph_index=0):
    """Returns the model with the ops at `op_indices` computing in float32.

    Each int8 input of such an op is read through a new DEQUANTIZE (a constant
    one is stored dequantized instead), and each
    int8 output is written by a new QUANTIZE from the op's float result, so
    every other op still sees the same int8 tensors. Non-int8 operands (int32
    shapes, axes) are left as they are.

    Args:
        model_bytes: the `.tflite` flatbuffer.
        op_indices: indices into the subgraph's operator list (as in
            `Interpreter._get_ops_details()` or `check_xnnpack_delegation`
            issues).
        subgraph_index: the subgraph holding the ops.

    Returns:
        The new `.tflite` bytes, with the model metadata and packed files
        (label files) of `model_bytes`.
    """
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    subgraph = model.subgraphs[subgraph_index]
    wanted = set(int(i) for i in op_indices)
    out_of_range = sorted(i for i in wanted if not 0 <= i < len(subgraph.operators))
    if out_of_range:
        raise ValueError(
            f"`op_indices` must index the {len(subgraph.operators)} operators of subgraph "
            f"{subgraph_index}. Received: op_indices={sorted(wanted)}"
        )
    dequantize = _opcode_index(model, schema.BuiltinOperator.DEQUANTIZE)
    quantize = _opcode_index(model, schema.BuiltinOperator.QUANTIZE)
    operators = []
    for index, op in enumerate(subgraph.operators):
        if index not in wanted:
            operators.append(op)
            continue
        inputs = list(op.inputs)
        # A scalar constant may become [1] only beside an operand of rank >= 1,
        # which sets the output shape either way.
        ranked = any(t >= 0 and subgraph.tensors[t].shape is not None
                     and len(subgraph.tensors[t].shape) > 0 for t in inputs)
        for position, tensor_index in enumerate(inputs):
            if tensor_index >= 0 and subgraph.tensors[tensor_index].type == _INT8:
                float_index = _folded_constant(model, subgraph, tensor_index, ranked)
                if float_index is None:
                    float_index = _float_copy(subgraph, tensor_index)
                    operators.append(_single_op(dequantize, [tensor_index], [float_index]))
                inputs[position] = float_index
        op.inputs = inputs
        outputs = list(op.outputs)
        requantize = []
        for position, tensor_index in enumerate(outputs):
            if subgraph.tensors[tensor_index].type == _INT8:
                float_index = _float_copy(subgraph, tensor_index)
                requantize.append(_single_op(quantize, [float_index], [tensor_index]))
                outputs[position] = float_index
        op.outputs = outputs
        operators.append(op)
        operators.extend(requantize)
    subgraph.operators = operators
    # The model metadata buffer survives the object-API round trip; the label
    # files zipped onto the end do not.
    return keep_associated_files(model_bytes,
                                 flatbuffer_utils.convert_object_to_bytearray(model))


def xnnpack_float_fallback(model_bytes, max_rounds=3):
    """Runs in float32 every int8 op that XNNPACK refuses, so it takes the whole graph.

    Args:
        model_bytes: an int8 `.tflite` flatbuffer.
        max_rounds: rewrites to try; each round checks delegation again.

    Returns:
        `(new_bytes, op_names)`: the model, and the names of the ops now run
        in float (empty when XNNPACK took every op already).

    Example:

    ```python
    data, moved = xnnpack_float_fallback(open("qat_int8.tflite", "rb").read())
    moved
    # ['SOFTMAX', 'SOFTMAX']
    ```
    """
    from keras_psa.export.checks.xnnpack_delegation import check_xnnpack_delegation

    moved = []
    for _ in range(max_rounds):
        with tempfile.TemporaryDirectory(prefix="keras_psa_fallback_") as tmp:
            path = os.path.join(tmp, "model.tflite")
            with open(path, "wb") as file:
                file.write(model_bytes)
            result = check_xnnpack_delegation(path)
        model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
        tensors = model.subgraphs[0].tensors
        ops = model.subgraphs[0].operators
        int8_refused = [
            issue for issue in result.issues
            if any(t >= 0 and tensors[t].type == _INT8
                   for t in list(ops[issue.op_index].inputs) + list(ops[issue.op_index].outputs))
        ]
        if not int8_refused:
            break
        model_bytes = run_ops_in_float(model_bytes, [i.op_index for i in int8_refused])
        moved.extend(issue.op_name for issue in int8_refused)
    return model_bytes, moved
