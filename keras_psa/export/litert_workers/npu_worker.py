"""Child process of `keras_psa.export.npu.run_compiled_model`: runs the source
model on LiteRT's CPU interpreter (its builtin kernels, and XNNPACK: how far two
CPU backends differ is the floor of the comparison) and the NPU-compiled model
through `CompiledModel`, and saves the three outputs.

Usage: python npu_worker.py SOURCE.tflite COMPILED.tflite INPUTS.npz OUTPUTS.npz
"""

import json
import sys

import numpy as np
from ai_edge_litert.compiled_model import CompiledModel
from ai_edge_litert.hardware_accelerator import HardwareAccelerator
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType
from compiled_model_io import run_compiled_model


def _run_interpreter(path, inputs, resolver=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES):
    interpreter = Interpreter(model_path=path, experimental_op_resolver_type=resolver)
    runner = interpreter.get_signature_runner()
    return {name: np.asarray(value) for name, value in runner(**inputs).items()}


def _run_compiled(model, inputs):
    outputs, unreadable = run_compiled_model(model, inputs)
    if unreadable:
        raise ValueError(f"CompiledModel cannot read the outputs {unreadable}")
    return outputs


def main(source_path, compiled_path, inputs_path, outputs_path):
    # Each array holds one sample per row; the models take a batch of one.
    samples = dict(np.load(inputs_path))
    count = len(next(iter(samples.values())))
    # NPU first, CPU for whatever the compiler left out of its partitions.
    model = CompiledModel.from_file(
        compiled_path, hardware_accel=HardwareAccelerator.NPU | HardwareAccelerator.CPU)
    fully = bool(model.is_fully_accelerated())
    arrays = {}
    for i in range(count):
        inputs = {name: values[i] for name, values in samples.items()}
        for prefix, outputs in (("cpu", _run_interpreter(source_path, inputs)),
                                ("xnnpack", _run_interpreter(source_path, inputs,
                                                             OpResolverType.AUTO)),
                                ("npu", _run_compiled(model, inputs))):
            for name, value in outputs.items():
                arrays.setdefault(f"{prefix}/{name}", []).append(value)
    np.savez(outputs_path, **{key: np.stack(values) for key, values in arrays.items()})
    print("KERAS_PSA_NPU_RESULT " + json.dumps({"fully_accelerated": fully}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
