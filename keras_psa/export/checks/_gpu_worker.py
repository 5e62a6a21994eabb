"""Child process of `gpu_accelerator.run_gpu_accelerator`: runs one model on
LiteRT's CPU and GPU accelerators and saves both outputs.

Kept free of TensorFlow and of keras_psa imports so it starts fast and so a
crash inside the GPU delegate only ends this process.
Usage: python _gpu_worker.py MODEL.tflite INPUTS.npz OUTPUTS.npz ENFORCE_F32
"""

import json
import sys

import numpy as np
from ai_edge_litert.compiled_model import CompiledModel
from ai_edge_litert.hardware_accelerator import HardwareAccelerator
from ai_edge_litert.options import GpuOptions
from ai_edge_litert.options import Options


def _run(model, inputs):
    signature = model.get_signature_by_index(0)
    key = signature["key"]
    input_details = model.get_input_tensor_details(key)
    output_details = model.get_output_tensor_details(key)
    input_buffers = model.create_input_buffers(0)
    output_buffers = model.create_output_buffers(0)
    for name, buffer in zip(signature["inputs"], input_buffers):
        buffer.write(np.ascontiguousarray(inputs[name].astype(input_details[name]["dtype"])))
    model.run_by_index(0, input_buffers, output_buffers)
    outputs, unreadable = {}, []
    for name, buffer in zip(signature["outputs"], output_buffers):
        details = output_details[name]
        size = int(np.prod(details["shape"]))
        try:
            outputs[name] = buffer.read(size, details["dtype"]).reshape(details["shape"])
        except ValueError:  # TensorBuffer cannot read some dtypes (e.g. int64)
            unreadable.append(f"{name} ({details['dtype']})")
    return outputs, unreadable


def main(model_path, inputs_path, outputs_path, enforce_f32):
    inputs = dict(np.load(inputs_path))
    cpu = CompiledModel.from_file(model_path, hardware_accel=HardwareAccelerator.CPU)
    cpu_outputs, unreadable = _run(cpu, inputs)
    options = Options(
        hardware_accelerators=HardwareAccelerator.GPU | HardwareAccelerator.CPU,
        gpu_options=GpuOptions(enforce_f32=enforce_f32),
    )
    gpu = CompiledModel.from_file(model_path, options=options)
    fully = bool(gpu.is_fully_accelerated())
    gpu_outputs, _ = _run(gpu, inputs)
    arrays = {f"cpu/{k}": v for k, v in cpu_outputs.items()}
    arrays.update({f"gpu/{k}": v for k, v in gpu_outputs.items()})
    np.savez(outputs_path, **arrays)
    result = {"fully_accelerated": fully, "unreadable_outputs": unreadable}
    print("KERAS_PSA_GPU_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1")
