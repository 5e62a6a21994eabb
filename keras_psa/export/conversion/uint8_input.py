"""uint8 image input for int8 models: camera frames in as they arrive, no float conversion."""

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.python import util as tflite_util
from tensorflow.lite.tools import flatbuffer_utils

# int8 ops whose kernels read their input's scale when they are prepared, so
# the input's quantization may change freely. Ops that pass int8 values through
# (RESHAPE, PAD, CONCATENATION, MAX_POOL_2D, ...) take their input's scale as
# their output's and are not listed.
_RESCALING_CONSUMERS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MUL", "ADD",
                        "SUB", "QUANTIZE", "DEQUANTIZE"}
_OP_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def uint8_input_quantization(pixel_range):
    """`(scale, zero_point)` of a uint8 input whose values 0..255 mean `pixel_range`."""
    low, high = (float(v) for v in pixel_range)
    scale = (high - low) / 255.0
    zero_point = int(np.clip(np.round(-low / scale), 0, 255))
    return scale, zero_point


def _opcode(model, builtin):
    for index, code in enumerate(model.operatorCodes):
        if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
            return index
    code = schema.OperatorCodeT()
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, 127)
    code.version = 2  # the (u)int8 forms
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def _op_name(model, op):
    code = model.operatorCodes[op.opcodeIndex]
    return _OP_NAMES.get(max(code.builtinCode, code.deprecatedBuiltinCode))


def to_uint8_input(model_bytes, pixel_range, *, int8_output=False):
    """Returns an int8 model (float input) with a uint8 image input instead.

    The uint8 input is read by a DEQUANTIZE into the float tensor the model's
    input QUANTIZE already takes. TFLite's own uint8 input (a uint8 -> int8
    QUANTIZE, `modify_model_io_type`) is not used: XNNPACK has no kernel for
    that QUANTIZE and leaves it to TFLite's, splitting its graph; it takes
    DEQUANTIZE and QUANTIZE. The uint8 input and the int8 tensor after the
    QUANTIZE get the quantization that maps 0..255 exactly onto
    `pixel_range` (scale 1, zero point 0 for a model taking raw pixels 0..255)
    rather than the range the calibration images happened to span, so a raw
    camera frame is the right input as it is and passes through unchanged.

    Args:
        model_bytes: a full-integer model with float input (the converter's
            output before `int8_io`).
        pixel_range: `(low, high)`, the values the model takes for pixels 0 and
            255.
        int8_output: int8 output (else the float output stays).

    Returns:
        The new `.tflite` bytes.
    """
    if int8_output:
        model_bytes = tflite_util.modify_model_io_type(bytes(model_bytes), tf.float32, tf.int8)
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    subgraph = model.subgraphs[0]
    image = int(subgraph.inputs[0])
    if subgraph.tensors[image].type != schema.TensorType.FLOAT32:
        raise ValueError("uint8 input needs an int8 model with float input to start from.")
    quantizes = [op for op in subgraph.operators
                 if _op_name(model, op) == "QUANTIZE" and int(op.inputs[0]) == image]
    if len(quantizes) != 1:
        raise ValueError(
            "uint8 input needs an int8 model whose float input is read by one QUANTIZE. "
            "Convert with quantization='int8'."
        )
    quantized = int(quantizes[0].outputs[0])
    consumers = [_op_name(model, c) for c in subgraph.operators
                 if quantized in [int(i) for i in c.inputs]]
    passing = sorted(set(consumers) - _RESCALING_CONSUMERS)
    if passing:
        raise ValueError(
            "uint8 input needs the model's first ops to be convolutions or arithmetic; "
            f"this model feeds its input to {passing}. Convert with float input "
            "(input_dtype='float32') instead."
        )
    scale, zero_point = uint8_input_quantization(pixel_range)
    old = subgraph.tensors[image]
    new = schema.TensorT()
    new.name = old.name
    new.shape = None if old.shape is None else list(old.shape)
    new.shapeSignature = None if old.shapeSignature is None else list(old.shapeSignature)
    new.type = schema.TensorType.UINT8
    new.buffer = 0
    new.quantization = _quantization(scale, zero_point)
    old.name = (old.name or b"") + b"/float"
    subgraph.tensors.append(new)
    uint8_index = len(subgraph.tensors) - 1
    subgraph.tensors[quantized].quantization = _quantization(scale, zero_point - 128)
    dequantize = schema.OperatorT()
    dequantize.opcodeIndex = _opcode(model, schema.BuiltinOperator.DEQUANTIZE)
    dequantize.inputs = [uint8_index]
    dequantize.outputs = [image]
    subgraph.operators = [dequantize] + list(subgraph.operators)
    subgraph.inputs = [uint8_index] + [int(i) for i in subgraph.inputs[1:]]
    for signature in model.signatureDefs or []:
        for entry in signature.inputs or []:
            if entry.tensorIndex == image:
                entry.tensorIndex = uint8_index
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _quantization(scale, zero_point):
    params = schema.QuantizationParametersT()
    params.scale = [float(scale)]
    params.zeroPoint = [int(zero_point)]
    return params
