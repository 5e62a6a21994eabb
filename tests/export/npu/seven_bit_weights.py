"""7-bit weights in an int8 `.tflite`, as OpenVINO's NNCF quantizes for CPUs without VNNI.

Halving each int8 weight (and its int32 bias) and doubling their scales keeps the
model a valid int8 file whose sums of two u8 x s8 products stay below 2**15
(255 * 64 * 2 = 32640): OpenVINO's CPU device then computes it exactly on every x86
CPU (`keras_psa.export.npu.openvino_cpu_int8`), so the NPU tests judge the stand-in's
runs on CPUs with and without VNNI alike.
"""

import numpy as np
from tensorflow.lite.tools import flatbuffer_utils

# The ops and type the package's saturation rule reads (weights_beyond_seven_bits).
from keras_psa.export.npu.openvino_cpu_int8 import _INT8
from keras_psa.export.npu.openvino_cpu_int8 import _WEIGHTED_OPS

_INT32 = 2  # tflite.TensorType


def seven_bit_weights(path):
    """Rewrites the int8 `.tflite` at `path` in place with 7-bit weights."""
    model = flatbuffer_utils.read_model(str(path))
    halved = set()
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            name = flatbuffer_utils.opcode_to_name(model, op.opcodeIndex)
            if name not in _WEIGHTED_OPS:
                continue
            for position, (kind, dtype) in ((1, (_INT8, np.int8)), (2, (_INT32, np.int32))):
                if len(op.inputs) <= position or op.inputs[position] < 0:
                    continue
                tensor = subgraph.tensors[op.inputs[position]]
                buffer = model.buffers[tensor.buffer]
                if tensor.type != kind or buffer.data is None or tensor.buffer in halved:
                    continue
                values = np.frombuffer(np.asarray(buffer.data, np.uint8).tobytes(), dtype)
                buffer.data = np.round(values / 2).astype(dtype).view(np.uint8)
                tensor.quantization.scale = np.asarray(tensor.quantization.scale) * 2
                halved.add(tensor.buffer)
    flatbuffer_utils.write_model(model, str(path))
    return len(halved)
