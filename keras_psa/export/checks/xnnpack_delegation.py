"""Which operators of a `.tflite` model XNNPACK takes on CPU.

LiteRT's interpreter applies XNNPACK as its default delegate. Each partition it
takes becomes one extra `DELEGATE` node appended to the node list, whose inputs
and outputs are the partition's boundary tensors; the replaced nodes stay in the
list but leave the execution plan. The interpreter does not expose the plan, so
the nodes a `DELEGATE` node replaced are found by walking producers back from
its outputs until its inputs are reached.
"""

from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.op_issue import OpIssue
from keras_psa.export.tflite.litert_runner import make_interpreter

_DELEGATE = "DELEGATE"
# Why XNNPACK refuses some ops, as found on ai-edge-litert 2.3, and what helps.
_KEEP_FLOAT = "keep it float in int8 models (convert_model(..., float_ops=XNNPACK_FLOAT_OPS))"
# Any int8 op XNNPACK refuses, in a file already converted (e.g. QAT).
_INT8_FALLBACK = ("export.xnnpack_float_fallback(tflite_bytes) runs it in float between "
                  "DEQUANTIZE and QUANTIZE")
_HINTS = {
    ("HARD_SWISH", "int8"): "XNNPACK's TFLite delegate has no int8 HARD_SWISH; " + _KEEP_FLOAT,
    ("SOFTMAX", "int8"): "XNNPACK's TFLite delegate has no int8 SOFTMAX; " + _KEEP_FLOAT,
    ("NEG", "int8"): "XNNPACK takes no int8 NEG; write x - mean as SUB, not ADD(NEG(mean))",
    ("RSQRT", "int8"): "a LayerNorm in int8; keep it float (convert_model(..., float_scopes=...))",
    ("SQUARED_DIFFERENCE", "int8"): "a LayerNorm variance in int8; keep it float "
                                    "(convert_model(..., float_scopes=...))",
    ("EXP", "int8"): "a hand-written softmax in int8; keep it float "
                     "(convert_model(..., float_scopes=...))",
    ("DIV", "int8"): "XNNPACK takes no int8 DIV; keep it float "
                     "(convert_model(..., float_scopes=...))",
    ("SHAPE", None): "shape computed at run time; export with a static batch and input size",
}


def delegated_nodes(interpreter):
    """Maps each DELEGATE node index to the original node indices it replaced."""
    ops = interpreter._get_ops_details()
    producer = {}
    for op in ops:
        if op["op_name"] != _DELEGATE:
            for tensor in op["outputs"]:
                producer[int(tensor)] = op["index"]
    partitions = {}
    for op in ops:
        if op["op_name"] != _DELEGATE:
            continue
        boundary = {int(t) for t in op["inputs"]}
        stack = [int(t) for t in op["outputs"]]
        replaced = set()
        while stack:
            tensor = stack.pop()
            if tensor in boundary or tensor not in producer:
                continue
            node = producer[tensor]
            if node in replaced:
                continue
            replaced.add(node)
            stack.extend(int(t) for t in ops[node]["inputs"] if t >= 0)
        partitions[op["index"]] = sorted(replaced)
    return partitions


def check_xnnpack_delegation(model_path, num_threads=1):
    """Checks that XNNPACK takes every operator of a `.tflite` model.

    Args:
        model_path: path to the `.tflite` file.
        num_threads: CPU threads for the interpreter.

    Returns:
        A `CheckResult` named `"xnnpack"`; each operator left to TFLite's own
        CPU kernels is an `OpIssue`.

    Example:

    ```python
    result = check_xnnpack_delegation("model_int8.tflite")
    result.status, [issue.op_name for issue in result.issues]
    # ('failed', ['HARD_SWISH'])
    ```
    """
    interpreter = make_interpreter(model_path, num_threads=num_threads, xnnpack=True)
    ops = interpreter._get_ops_details()
    original = [op for op in ops if op["op_name"] != _DELEGATE]
    partitions = delegated_nodes(interpreter)
    taken = set().union(*partitions.values()) if partitions else set()
    issues = []
    for op in original:
        if op["index"] in taken:
            continue
        types = ", ".join(sorted({str(t.__name__ if hasattr(t, "__name__") else t)
                                  for t in op["operand_types"]}))
        reason = f"runs on TFLite's CPU kernels, not XNNPACK (operand types: {types})"
        dtypes = {getattr(t, "__name__", str(t)) for t in op["operand_types"]}
        hint = _HINTS.get((op["op_name"], "int8" if "int8" in dtypes else None)) or _HINTS.get(
            (op["op_name"], None))
        if hint:
            reason += f"; {hint}"
        if "int8" in dtypes:
            reason += f"; or {_INT8_FALLBACK}"
        issues.append(OpIssue(op["index"], op["op_name"], reason))
    details = {
        "num_ops": len(original),
        "num_delegated": len(taken),
        "num_partitions": len(partitions),
    }
    status = FAILED if issues else PASSED
    message = (f"XNNPACK took {len(taken)} of {len(original)} ops in "
               f"{len(partitions)} partition(s)")
    return CheckResult("xnnpack", status, issues, details, message)
