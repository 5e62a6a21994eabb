"""The ops an int8 `.tflite` file computes in float: its float islands."""

from keras_psa.export.tflite.tflite_graph import TFLiteGraph


def float_islands(path):
    """`{op name: count}` of the ops of a `.tflite` file with a float32 output, but for
    the DEQUANTIZE ops that hand the model's outputs over in float."""
    graph = TFLiteGraph.from_file(path)
    outputs = {id(tensor) for tensor in graph.outputs}
    found = {}
    for op in graph.ops:
        if op.outputs[0].dtype != "FLOAT32":
            continue
        if op.name == "DEQUANTIZE" and id(op.outputs[0]) in outputs:
            continue
        found[op.name] = found.get(op.name, 0) + 1
    return dict(sorted(found.items()))
