"""Static GPU-delegate compatibility check of a `.tflite` model.

The per-operator rules reproduce `CheckGpuDelegateCompatibility` of TFLite's
`tensorflow/lite/tools/versioning/gpu_compatibility.cc` (offline mode, i.e. with
enhanced broadcasting). The tensor-level rules come from the GPU delegate's model
builder, which refuses a node before the per-op rules run: tensor types other
than float/quantized int8/int32/bool, rank above 4, dynamic shapes and a batch
that differs between tensors. Op versions are not checked: the rules of
gpu_compatibility.cc do not depend on them. `tf.lite.experimental.Analyzer` is not used
because it reports models the delegate rejects (ARG_MAX on int64, 6-D reshapes)
as compatible.
"""

import dataclasses

from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.op_issue import OpIssue
from keras_psa.export.tflite.tflite_graph import TFLiteGraph

_ALLOWED_TENSOR_TYPES = ("FLOAT32", "FLOAT16", "INT8", "UINT8", "INT32", "BOOL")
_MAX_RANK = 4
_SIGN_BIT = 5  # ActivationFunctionType.SIGN_BIT
_MIRROR_PAD_REFLECT = 0
_FC_WEIGHTS_DEFAULT = 0

_UNARY_ELEMENTWISE = {
    "ABS", "CEIL", "COS", "ELU", "EXP", "FLOOR", "GELU", "LOG", "LOGISTIC", "NEG",
    "RSQRT", "SIGN", "SIN", "SQRT", "SQUARE", "TANH",
}
_BINARY_ELEMENTWISE = {
    "ATAN2", "DIV", "EQUAL", "FLOOR_DIV", "FLOOR_MOD", "GREATER", "GREATER_EQUAL",
    "LOGICAL_AND", "LESS", "LESS_EQUAL", "MAXIMUM", "MINIMUM", "NOT_EQUAL", "POW",
    "SQUARED_DIFFERENCE", "SUB",
}
_ALWAYS_SUPPORTED = {"PACK", "RELU_N1_TO_1", "PRELU", "SPLIT", "SPLIT_V", "RELU", "RELU6",
                     "LEAKY_RELU"}
_ONE_RUNTIME_INPUT = {"HARD_SWISH", "QUANTIZE", "TILE", "TRANSPOSE", "RESIZE_NEAREST_NEIGHBOR"}


class _Unsupported(Exception):
    pass


def _require(condition, reason):
    if not condition:
        raise _Unsupported(reason)


def _option(op, name, default=None):
    return getattr(op.options, name, default) if op.options is not None else default


def _check_activation(op, field="fusedActivationFunction"):
    _require(_option(op, field, 0) != _SIGN_BIT, "fused activation SIGN_BIT is not supported")


def _check_inputs_outputs(op, runtime_inputs, outputs):
    got = len(op.runtime_inputs)
    _require(got == runtime_inputs,
             f"expected {runtime_inputs} runtime input tensor(s), but node has {got}")
    _require(len(op.outputs) == outputs,
             f"expected {outputs} output tensor(s), but node has {len(op.outputs)}")


def _check_inputs_consts_outputs(op, runtime_inputs, const_inputs, outputs):
    got = len(op.const_inputs)
    _require(got == const_inputs,
             f"expected {const_inputs} const input tensor(s), but node has {got}")
    _check_inputs_outputs(op, runtime_inputs, outputs)


def _passes(check, *args):
    try:
        check(*args)
        return True
    except _Unsupported:
        return False


def _check_axes_int32_const(op, index):
    _require(len(op.inputs) > index and op.inputs[index] is not None,
             f"{op.name} needs an axes input")
    axes = op.inputs[index]
    _require(axes.is_const, f"{op.name} is only supported with constant axes")
    _require(axes.dtype == "INT32", f"{op.name} supports int32 axes, node has {axes.dtype}")


def _check_convolution_io(op):
    _require(len(op.runtime_inputs) <= 2,
             f"expected 1 or 2 runtime inputs, node has {len(op.runtime_inputs)}")
    _require(len(op.outputs) == 1, f"expected 1 output, node has {len(op.outputs)}")
    if len(op.runtime_inputs) == 1:
        _require(len(op.inputs) > 1, "convolution needs a weights tensor")


def _check_strides_dilation(op):
    sh, sw = _option(op, "strideH", 1), _option(op, "strideW", 1)
    _require(sh > 0 and sw > 0, f"incorrect strides {sh}x{sw}")
    dh, dw = _option(op, "dilationHFactor", 1), _option(op, "dilationWFactor", 1)
    _require(dh > 0 and dw > 0, f"incorrect dilation {dh}x{dw}")


def _check_pooling(op):
    _check_inputs_outputs(op, 1, 1)
    kh, kw = _option(op, "filterHeight", 1), _option(op, "filterWidth", 1)
    sh, sw = _option(op, "strideH", 1), _option(op, "strideW", 1)
    _require(kh > 0 and kw > 0, f"incorrect kernel {kh}x{kw}")
    _require(sh > 0 and sw > 0, f"incorrect strides {sh}x{sw}")
    _check_activation(op)


def _check_depthwise(op):
    _check_convolution_io(op)
    _check_strides_dilation(op)
    _check_activation(op)
    inputs = op.present_inputs
    x, w, out = inputs[0], inputs[1], op.outputs[0]
    bias = inputs[2] if len(inputs) > 2 else None
    multiplier = _option(op, "depthMultiplier", 1)
    _require(x.rank == 4, "input.dims.size != 4")
    _require(w.rank == 4, "filter.dims.size != 4")
    _require(out.rank == 4, "output.dims.size != 4")
    _require(x.shape[0] == out.shape[0], "input.b != output.b")
    _require(w.shape[3] == out.shape[3], "filter.i != output.c")
    _require(out.shape[3] == x.shape[3] * multiplier, "output.c != input.c * depth_multiplier")
    if bias is not None:
        size = 1
        for d in bias.shape:
            size *= d
        _require(size == out.shape[3], "bias.size != output.c")
    _require(multiplier == 1 or x.shape[3] == 1, "depth_multiplier != 1 && input.c != 1")


def _broadcastable(longer, shorter):
    for i in range(1, max(len(longer), len(shorter)) + 1):
        a = longer[-i] if i <= len(longer) else 1
        b = shorter[-i] if i <= len(shorter) else 1
        if a != b and a != 1 and b != 1:
            return False
    return True


def _check_add_mul_broadcast(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if len(a) > 1 and len(b) > 1 and len(a) != len(b):
        longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
        _require(_broadcastable(longer, shorter),
                 f"doesn't support broadcasting - input0: {list(a)}, input1: {list(b)}")


def _check_add(op):
    _require(len(op.inputs) == 2, "ADD requires two input tensors")
    _check_add_mul_broadcast(op)


def _check_mul(op):
    _require(len(op.inputs) == 2, "MUL requires two input tensors")
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if len(a) == len(b):
        first_smaller = any(x < y for x, y in zip(a, b))
        second_smaller = any(y < x for x, y in zip(a, b))
        _require(not (first_smaller and second_smaller),
                 "MUL requires one tensor that is not less than the other in all dimensions "
                 f"(got {list(a)} and {list(b)})")
    else:
        _check_add_mul_broadcast(op)
    _check_activation(op)


def _check_cast(op):
    _check_inputs_outputs(op, 1, 1)
    src, dst = op.inputs[0].dtype, op.outputs[0].dtype
    floats = ("FLOAT16", "FLOAT32")
    ok = (
        (src == "BOOL" and dst in floats)
        or (src in floats and dst == "BOOL")
        or (src in ("FLOAT32", "INT32") and dst in ("FLOAT32", "INT32"))
    )
    _require(ok, f"not supported Cast case: {src} -> {dst}")


def _check_reshape(op):
    shape_input = op.inputs[1] if len(op.inputs) > 1 else None
    _require(shape_input is None or shape_input.is_const,
             "new shape is computed at run time (shape input is not a constant); "
             "export with a static batch and input size")
    _check_inputs_outputs(op, 1, 1)


def _check_softmax(op):
    beta = _option(op, "beta", 1.0)
    _require(beta == 1.0, f"Softmax.beta != 1 is not supported (beta={beta})")


def _check_strided_slice(op):
    _require(not _option(op, "ellipsisMask", 0), "Slice does not support ellipsis_mask")
    _require(not _option(op, "newAxisMask", 0), "Slice does not support new_axis_mask")
    _require(not _option(op, "shrinkAxisMask", 0), "Slice does not support shrink_axis_mask")
    _require(len(op.inputs) >= 4, "STRIDED_SLICE requires 4 inputs")
    _require(op.inputs[0].rank in (3, 4),
             "STRIDED_SLICE supports 3 or 4 dimensional tensors only")


def _check_slice(op):
    _require(len(op.inputs) >= 3, f"SLICE requires 3 inputs, node has {len(op.inputs)}")
    _require(op.inputs[0].rank in (3, 4),
             f"SLICE supports 3 or 4 dimensional tensors only, node has {op.inputs[0].rank}")


def _check_pad(op):
    if op.name == "MIRROR_PAD":
        _require(_option(op, "mode", 0) == _MIRROR_PAD_REFLECT,
                 "only reflective padding is supported for MIRROR_PAD")
    _check_inputs_outputs(op, 1, 1)
    _require(len(op.inputs) > 1, "PAD needs a paddings tensor")
    pads = op.inputs[1].shape
    _require(len(pads) == 2, f"invalid paddings tensor rank: expected 2, got {len(pads)}")
    _require(pads[0] in (3, 4) and pads[1] == 2,
             f"invalid paddings tensor shape: expected 4x2 or 3x2, got {pads[0]}x{pads[1]}")


def _check_fully_connected(op):
    _require(_option(op, "weightsFormat", 0) == _FC_WEIGHTS_DEFAULT,
             "unsupported FullyConnected weights format")
    _require(len(op.runtime_inputs) <= 2,
             "FullyConnected doesn't support more than 2 runtime inputs")
    _require(not op.inputs[0].is_const, "FullyConnected doesn't support constant input")
    if _option(op, "keepNumDims", False):
        _require(op.inputs[0].rank == op.outputs[0].rank,
                 "input and output ranks differ and FullyConnected doesn't support keep_num_dims")


def _check_resize_bilinear(op):
    _check_inputs_outputs(op, 1, 1)
    _require(not (_option(op, "alignCorners", False) and _option(op, "halfPixelCenters", False)),
             "if half_pixel_centers is True, align_corners must be False")


def _check_block_size(op):
    _check_inputs_outputs(op, 1, 1)
    block = _option(op, "blockSize", 0)
    _require(block != 1, f"{op.name} block_size = 1 is a no-op")
    _require(block > 1, f"{op.name} block_size must be > 1")


def _check_binary_elementwise(op):
    _require(
        _passes(_check_inputs_consts_outputs, op, 2, 0, 1)
        or _passes(_check_inputs_consts_outputs, op, 1, 1, 1),
        "op can only handle 1 or 2 operand(s)",
    )
    if op.name in ("DIV", "SUB"):
        _check_activation(op)


def _check_gather(op):
    _require(
        _passes(_check_inputs_consts_outputs, op, 2, 0, 1)
        or _passes(_check_inputs_consts_outputs, op, 1, 1, 1),
        "op can only handle 1 or 2 operand(s)",
    )
    _require(op.inputs[0].dtype != "INT32", "GATHER does not accept INT32 input")
    _require(op.inputs[1].rank == 1, "GATHER only supports 1D indices")
    _require(op.inputs[1].dtype == "INT32", "GATHER only accepts INT32 indices")


def _check_batch_matmul(op):
    _require(len(op.inputs) == 2 and len(op.outputs) == 1,
             f"expected 2 inputs and 1 output, got {len(op.inputs)} and {len(op.outputs)}")


def _check_dequantize(op):
    _require(len(op.inputs) == 1 and len(op.outputs) == 1, "expected 1 input and 1 output")
    _require(op.inputs[0].dtype != "INT16", "unsupported dequantization type INT16")
    _require(op.inputs[0].rank >= 1,
             f"Unsupported dims for tensor: {op.inputs[0].name} Got dims:0")


def _check_add_n(op):
    _require(len(op.inputs) == 2, "ADD_N only supports 2 inputs")


def _check_mean(op):
    _check_inputs_consts_outputs(op, 1, 1, 1)
    _check_axes_int32_const(op, 1)


def _check_reduce(op):
    _check_inputs_outputs(op, 1, 1)
    _check_axes_int32_const(op, 1)


def _check_conv(op):
    _check_convolution_io(op)
    _check_strides_dilation(op)
    _check_activation(op)


def _check_transpose_conv(op):
    _check_convolution_io(op)
    sh, sw = _option(op, "strideH", 1), _option(op, "strideW", 1)
    _require(sh > 0 and sw > 0, f"incorrect strides {sh}x{sw}")


def _check_unary(op):
    _check_inputs_consts_outputs(op, 1, 0, 1)


def _check_one_runtime_input(op):
    _check_inputs_outputs(op, 1, 1)


def _no_extra_rule(op):
    # The op set alone decides: the delegate takes any shapes and dtypes here.
    return None


_RULES = {
    "ADD": _check_add,
    "ADD_N": _check_add_n,
    "AVERAGE_POOL_2D": _check_pooling,
    "MAX_POOL_2D": _check_pooling,
    "BATCH_MATMUL": _check_batch_matmul,
    "CAST": _check_cast,
    "CONCATENATION": _no_extra_rule,
    "CONV_2D": _check_conv,
    "DEPTHWISE_CONV_2D": _check_depthwise,
    "DEPTH_TO_SPACE": _check_block_size,
    "SPACE_TO_DEPTH": _check_block_size,
    "DEQUANTIZE": _check_dequantize,
    "FULLY_CONNECTED": _check_fully_connected,
    "GATHER": _check_gather,
    "MEAN": _check_mean,
    "SUM": _check_reduce,
    "REDUCE_MAX": _check_reduce,
    "REDUCE_MIN": _check_reduce,
    "REDUCE_PROD": _check_reduce,
    "MUL": _check_mul,
    "RESHAPE": _check_reshape,
    "SLICE": _check_slice,
    "SOFTMAX": _check_softmax,
    "STRIDED_SLICE": _check_strided_slice,
    "TRANSPOSE_CONV": _check_transpose_conv,
    "RESIZE_BILINEAR": _check_resize_bilinear,
    "PAD": _check_pad,
    "PADV2": _check_pad,
    "MIRROR_PAD": _check_pad,
}
_RULES.update({name: _check_unary for name in _UNARY_ELEMENTWISE})
_RULES.update({name: _check_binary_elementwise for name in _BINARY_ELEMENTWISE})
_RULES.update({name: _check_one_runtime_input for name in _ONE_RUNTIME_INPUT})
_RULES.update({name: _no_extra_rule for name in _ALWAYS_SUPPORTED})


def _check_tensors(op, batch):
    for tensor in op.present_inputs + op.outputs:
        if tensor.is_const:
            continue
        _require(tensor.dtype in _ALLOWED_TENSOR_TYPES,
                 f"tensor type {tensor.dtype} is not supported ({tensor.name})")
        # Measured on LiteRT's GPU accelerator: "bad input dims size: 0".
        _require(tensor.rank >= 1, f"0-D tensor: rank must be >= 1 ({tensor.name})")
        _require(tensor.rank <= _MAX_RANK,
                 f"{tensor.rank}-D tensor {list(tensor.shape)}: rank must be <= {_MAX_RANK} "
                 f"({tensor.name})")
        if batch is not None and tensor.rank >= 2:
            _require(tensor.shape[0] == batch,
                     f"batch {tensor.shape[0]} differs from the model's batch {batch} "
                     f"in {list(tensor.shape)} ({tensor.name})")


def _fold_fp16_weights(graph):
    """Ops as the GPU delegate sees them once float16 weights are folded.

    A float16 model keeps its weights as FLOAT16 constants behind DEQUANTIZE
    ops; the delegate's FP16 partition helper drops those DEQUANTIZEs and
    reads their outputs as constants.
    """
    folded = {
        op.outputs[0].index
        for op in graph.ops
        if op.name == "DEQUANTIZE" and op.inputs[0].is_const and op.inputs[0].dtype == "FLOAT16"
    }

    def fold(tensor):
        if tensor is not None and tensor.index in folded:
            return dataclasses.replace(tensor, is_const=True)
        return tensor

    ops = []
    for op in graph.ops:
        if op.name == "DEQUANTIZE" and op.outputs[0].index in folded:
            continue
        ops.append(dataclasses.replace(op, inputs=tuple(fold(t) for t in op.inputs)))
    return ops


def check_op(op, batch=None):
    """Returns None when `op` (an `OpInfo`) passes, else the reason it does not."""
    try:
        _check_tensors(op, batch)
        rule = _RULES.get(op.name)
        _require(rule is not None, f"not supported op {op.name}")
        rule(op)
    except _Unsupported as error:
        return str(error)
    return None


def check_gpu_compatibility(model):
    """Checks every operator of a `.tflite` model against the GPU delegate's rules.

    Args:
        model: path to a `.tflite` file, its bytes, or a `TFLiteGraph`.

    Returns:
        A `CheckResult` named `"gpu_static"` that fails with one `OpIssue` per
        operator the GPU delegate would leave on the CPU.

    Example:

    ```python
    result = check_gpu_compatibility("model.tflite")
    [str(issue) for issue in result.issues]
    # ['#1 ARG_MAX: tensor type INT64 is not supported (output_0)']
    ```
    """
    graph = _as_graph(model)
    batches = [t.shape[0] for t in graph.inputs if t.rank >= 2]
    batch = batches[0] if batches else None
    issues = []
    ops = _fold_fp16_weights(graph)
    for op in ops:
        reason = check_op(op, batch)
        if reason is not None:
            issues.append(OpIssue(op.index, op.name, reason))
    # A -1 in a shape signature is resolved to 1 when tensors are allocated, so
    # the delegate accepts it; only shapes computed at run time (caught by the
    # RESHAPE rule) make tensors dynamic. Still worth a warning for mobile.
    dynamic = sorted({t.name for t in graph.inputs if t.is_dynamic})
    status = FAILED if issues else PASSED
    message = (f"{len(issues)} of {len(ops)} ops would not run on the GPU delegate"
               if issues else f"all {len(ops)} ops match the GPU delegate's rules")
    details = {"num_ops": len(ops), "dynamic_inputs": dynamic}
    return CheckResult("gpu_static", status, issues, details, message)


def _as_graph(model):
    if isinstance(model, TFLiteGraph):
        return model
    if isinstance(model, (bytes, bytearray)):
        return TFLiteGraph(model)
    return TFLiteGraph.from_file(model)
