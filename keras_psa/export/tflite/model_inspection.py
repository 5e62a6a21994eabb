"""Facts about a `.tflite` file: size, ops, tensor dtypes, inputs and outputs."""

import os

from keras_psa.export.conversion.quantization_mode import infer_quantization_mode
from keras_psa.export.tflite.tflite_graph import TFLiteGraph


def inspect_model(model):
    """Returns a JSON-serialisable summary of a `.tflite` model.

    Keys: `size_bytes`, `quantization`, `num_ops`, `op_histogram`,
    `tensor_dtypes` (activation tensors per dtype), `weight_dtypes` (constant
    tensors per dtype), `inputs`/`outputs` (name, dtype, shape),
    `num_subgraphs`.
    """
    graph = model if isinstance(model, TFLiteGraph) else TFLiteGraph.from_file(os.fspath(model))

    def count(tensors):
        counts = {}
        for t in tensors:
            counts[t.dtype] = counts.get(t.dtype, 0) + 1
        return dict(sorted(counts.items()))

    def describe(t):
        return {"name": t.name, "dtype": t.dtype, "shape": list(t.shape)}

    return {
        "size_bytes": graph.size_bytes,
        "quantization": infer_quantization_mode(graph),
        "num_ops": len(graph.ops),
        "num_subgraphs": graph.num_subgraphs,
        "op_histogram": graph.op_histogram(),
        "tensor_dtypes": count(t for t in graph.tensors if not t.is_const),
        "weight_dtypes": count(t for t in graph.tensors if t.is_const),
        "inputs": [describe(t) for t in graph.inputs],
        "outputs": [describe(t) for t in graph.outputs],
    }
