"""The int8 quantization step behind each output of a `.tflite` model."""

import os

from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType


def output_steps(model_path):
    """Maps each signature output name to the step of its int8 tensor, or None.

    An int8 output's own scale; for a float output, the scale of the int8
    tensor its DEQUANTIZE reads; None for a float output computed in float.
    """
    interpreter = Interpreter(
        model_path=os.fspath(model_path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    producers = {}
    for op in interpreter._get_ops_details():
        for index in op["outputs"]:
            producers[int(index)] = op
    steps = {}
    for name, details in interpreter.get_signature_runner().get_output_details().items():
        index = int(details["index"])
        scale = tensors[index]["quantization"][0]
        producer = producers.get(index)
        if not scale and producer is not None and producer["op_name"] == "DEQUANTIZE":
            scale = tensors[int(producer["inputs"][0])]["quantization"][0]
        steps[name] = float(scale) if scale else None
    return steps
