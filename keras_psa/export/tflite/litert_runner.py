"""Runs a `.tflite` model on LiteRT's CPU interpreter (with or without XNNPACK)."""

import os

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType

from keras_psa.export.tflite.quantized_io import to_float_output
from keras_psa.export.tflite.quantized_io import to_model_input


def make_interpreter(model_path, num_threads=1, xnnpack=True):
    """Returns an allocated `ai_edge_litert` Interpreter.

    `xnnpack=True` uses the built-in op resolver with its default delegate,
    which is XNNPACK on CPU; `False` runs TFLite's builtin (optimized, not
    reference) CPU kernels.
    """
    model_path = os.fspath(model_path)
    if not os.path.isfile(model_path):
        raise ValueError(
            f"`model_path` must be an existing .tflite file. Received: model_path={model_path}"
        )
    resolver = (OpResolverType.AUTO if xnnpack
                else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter = Interpreter(
        model_path=model_path,
        num_threads=num_threads,
        experimental_op_resolver_type=resolver,
    )
    interpreter.allocate_tensors()
    return interpreter


def run_tflite(model_path, inputs, num_threads=1, xnnpack=True, interpreter=None):
    """Runs one batch through the model and returns its outputs as float arrays.

    Args:
        model_path: path to the `.tflite` file.
        inputs: one array, or a list with one float array per model input;
            inputs of int8/uint8 models are quantized with the input's scale.
        num_threads: CPU threads.
        xnnpack: whether the XNNPACK delegate is applied.
        interpreter: reuse an interpreter from `make_interpreter`.

    Returns:
        A list of float32 arrays (quantized outputs are dequantized).
    """
    interpreter = interpreter or make_interpreter(model_path, num_threads, xnnpack)
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    input_details = interpreter.get_input_details()
    if len(inputs) != len(input_details):
        raise ValueError(
            f"`inputs` must hold {len(input_details)} array(s) for {model_path}. "
            f"Received: {len(inputs)}"
        )
    for details, array in zip(input_details, inputs):
        interpreter.set_tensor(details["index"], to_model_input(array, details))
    interpreter.invoke()
    return [
        to_float_output(interpreter.get_tensor(d["index"]), d)
        for d in interpreter.get_output_details()
    ]
