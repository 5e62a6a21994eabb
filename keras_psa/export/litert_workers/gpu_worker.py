"""Child process of `keras_psa.export.run_gpu_accelerator`: runs one model on
LiteRT's CPU and GPU accelerators and saves both outputs.

Usage: python gpu_worker.py MODEL.tflite INPUTS.npz OUTPUTS.npz ENFORCE_F32
"""

import json
import sys

import numpy as np
from ai_edge_litert.compiled_model import CompiledModel
from ai_edge_litert.hardware_accelerator import HardwareAccelerator
from ai_edge_litert.options import GpuOptions
from ai_edge_litert.options import Options
from compiled_model_io import run_compiled_model


def main(model_path, inputs_path, outputs_path, enforce_f32):
    inputs = dict(np.load(inputs_path))
    cpu = CompiledModel.from_file(model_path, hardware_accel=HardwareAccelerator.CPU)
    cpu_outputs, unreadable = run_compiled_model(cpu, inputs)
    options = Options(
        hardware_accelerators=HardwareAccelerator.GPU | HardwareAccelerator.CPU,
        gpu_options=GpuOptions(enforce_f32=enforce_f32),
    )
    gpu = CompiledModel.from_file(model_path, options=options)
    fully = bool(gpu.is_fully_accelerated())
    gpu_outputs, _ = run_compiled_model(gpu, inputs)
    arrays = {f"cpu/{k}": v for k, v in cpu_outputs.items()}
    arrays.update({f"gpu/{k}": v for k, v in gpu_outputs.items()})
    np.savez(outputs_path, **arrays)
    result = {"fully_accelerated": fully, "unreadable_outputs": unreadable}
    print("KERAS_PSA_GPU_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1")
