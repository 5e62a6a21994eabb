"""Quantization modes of the converter, their tolerances, and how to tell them apart."""

from keras_psa.export.tflite.tflite_graph import TFLiteGraph

QUANTIZATION_MODES = ("float32", "float16", "dynamic", "int8")

# Largest max|tflite - keras| / max|keras| accepted per mode. float32 is held
# to float rounding; the others bound the rounding the mode itself introduces
# (fp16 weights ~1e-3, int8 weights with float activations a few 1e-2, full
# int8 a few quantization steps of the output range).
KERAS_TOLERANCE = {"float32": 1e-4, "float16": 1e-2, "dynamic": 5e-2, "int8": 0.1}
# GPU vs LiteRT CPU on the same file. The GPU dequantizes int8 models and
# computes in float, so int8 differs from the CPU's integer kernels.
GPU_TOLERANCE = {"float32": 1e-3, "float16": 1e-2, "dynamic": 5e-2, "int8": 0.1}

_WEIGHT_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV",
               "BATCH_MATMUL"}


def check_quantization_mode(mode):
    if mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"`quantization` must be one of {QUANTIZATION_MODES}. Received: quantization={mode}"
        )
    return mode


def infer_quantization_mode(model):
    """Guesses the mode a `.tflite` file was converted with from its weight ops.

    int8 weights with int8 activations: "int8"; int8 weights with float
    activations: "dynamic"; float16 constants: "float16"; else "float32".
    """
    graph = model if isinstance(model, TFLiteGraph) else TFLiteGraph.from_file(model)
    weight_ops = [op for op in graph.ops if op.name in _WEIGHT_OPS]
    for op in weight_ops:
        weights = [t for t in op.const_inputs if t.dtype in ("INT8", "UINT8")]
        if weights:
            return "int8" if op.inputs[0].dtype in ("INT8", "UINT8") else "dynamic"
    if any(t.is_const and t.dtype == "FLOAT16" for t in graph.tensors):
        return "float16"
    return "float32"
