"""The int8 grid behind each output of a `.tflite` model."""

import dataclasses
import os

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType


@dataclasses.dataclass(frozen=True)
class OutputGrid:
    """The int8 grid an output is read from.

    Attributes:
        step: the scale of the output's int8 tensor.
        zero_point: its zero point.
        sigmoid_input_step: for an output of an int8 LOGISTIC, the step of the
            logits it reads; None otherwise. TFLite's int8 sigmoid writes onto a
            fixed grid of 1/256 whatever its input's precision, so one step of
            the logits moves the steep part of the sigmoid by several output
            steps: comparisons count such outputs in logit steps
            (`error_measures.share_within_steps`).
    """

    step: float
    zero_point: int = 0
    sigmoid_input_step: float | None = None

    def real_values(self, array):
        """`array` in real units: integer arrays (the raw int8 output) are dequantized."""
        array = np.asarray(array)
        if array.dtype.kind in "iu":
            return (array.astype(np.float64) - self.zero_point) * self.step
        return array.astype(np.float64)


def output_grids(model_path):
    """Maps each signature output name to its `OutputGrid`, or None.

    An int8 output's own grid; for a float output, the grid of the int8
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

    def scale_of(index):
        scale, zero_point = tensors[index]["quantization"]
        return float(scale), int(zero_point)

    grids = {}
    for name, details in interpreter.get_signature_runner().get_output_details().items():
        index = int(details["index"])
        scale, _ = scale_of(index)
        producer = producers.get(index)
        if not scale and producer is not None and producer["op_name"] == "DEQUANTIZE":
            index = int(producer["inputs"][0])
            scale, _ = scale_of(index)
            producer = producers.get(index)
        if not scale:
            grids[name] = None
            continue
        sigmoid_input_step = None
        if producer is not None and producer["op_name"] == "LOGISTIC":
            sigmoid_input_step = scale_of(int(producer["inputs"][0]))[0] or None
        grids[name] = OutputGrid(scale, scale_of(index)[1], sigmoid_input_step)
    return grids


def output_steps(model_path):
    """Maps each signature output name to the step of its int8 grid, or None."""
    return {name: grid and grid.step for name, grid in output_grids(model_path).items()}
