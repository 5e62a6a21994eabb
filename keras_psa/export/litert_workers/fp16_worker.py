"""Child process of `keras_psa.export.check_gpu_fp16`: runs one model through LiteRT's
`CompiledModel` on the CPU twice, XNNPACK in float32 and XNNPACK forced to fp16
(TFLITE_XNNPACK_DELEGATE_FLAG_FORCE_FP16), and saves both outputs.

Usage: python fp16_worker.py MODEL.tflite INPUTS.npz OUTPUTS.npz

Each array of INPUTS.npz holds one sample per row (the model takes a batch of one).
"""

import sys

import numpy as np
from ai_edge_litert.compiled_model import CompiledModel
from ai_edge_litert.hardware_accelerator import HardwareAccelerator
from ai_edge_litert.options import CpuOptions
from ai_edge_litert.options import Options
from compiled_model_io import run_compiled_model

FORCE_FP16 = 0x4


def main(model_path, inputs_path, outputs_path):
    samples = dict(np.load(inputs_path))
    count = len(next(iter(samples.values())))
    models = {
        "fp32": CompiledModel.from_file(model_path, hardware_accel=HardwareAccelerator.CPU),
        "fp16": CompiledModel.from_file(model_path, options=Options(
            HardwareAccelerator.CPU, cpu_options=CpuOptions(xnnpack_flags=FORCE_FP16))),
    }
    arrays = {}
    for i in range(count):
        inputs = {name: values[i] for name, values in samples.items()}
        for prefix, model in models.items():
            outputs, unreadable = run_compiled_model(model, inputs)
            if unreadable:
                raise ValueError(f"CompiledModel cannot read the outputs {unreadable}")
            for name, value in outputs.items():
                arrays.setdefault(f"{prefix}/{name}", []).append(value)
    np.savez(outputs_path, **{key: np.stack(values) for key, values in arrays.items()})
    print("KERAS_PSA_FP16_RESULT {}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
