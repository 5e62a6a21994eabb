"""Which nodes of a PSA model to keep float32 in a post-training int8 conversion.

Int8 cannot hold the PSA branches' internal statistics: a softmax over H*W
has values near 1/(H*W), below int8 SOFTMAX's fixed output step of 1/256 once
H*W >= 512, so near-uniform attention quantizes to zero; the weighted sum that
consumes it adds H*W rounding errors; a LayerNorm's variance and RSQRT span
orders of magnitude. Those nodes are kept float (XNNPACK runs float ops too,
so the graph stays in one delegate) while every convolution, the sigmoid gates
and the gate multiplies on the full feature map stay int8.

Nodes are chosen by the name scope of their output tensor, which the converter
keeps from the Keras layer names: `.../channel_attention/...` and
`.../spatial_attention/...` are the branches of `PolarizedSelfAttention`
(and the stand-alone branch layers' default names).
"""

import re

from keras_psa.export.tflite.tflite_graph import TFLiteGraph

# Output-tensor name scopes of the PSA branch layers, in Keras 3 ("name_1/") and
# tf_keras ("name/") spelling.
PSA_FLOAT_SCOPES = (
    r"(^|/)channel_(polarized_)?attention(_\d+)?/",
    r"(^|/)spatial_(polarized_)?attention(_\d+)?/",
)
# Ops inside those scopes that quantize well and stay int8.
_INT8_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "LOGISTIC"}


def _is_gate_multiply(op, producers):
    """A MUL of the feature map by a sigmoid gate (int8 handles [0, 1] gates)."""
    if op.name != "MUL":
        return False
    return any(producers.get(t.index) == "LOGISTIC" for t in op.runtime_inputs)


def select_float_nodes(model, scopes=PSA_FLOAT_SCOPES):
    """Returns the output tensor names of the ops to keep float in an int8 model.

    Args:
        model: a float or calibrated `.tflite` flatbuffer (bytes) or `TFLiteGraph`.
        scopes: regular expressions searched in each op's output tensor name;
            defaults to the PSA branch scopes.

    Returns:
        A list of tensor names for `QuantizationDebugOptions(denylisted_nodes=...)`:
        every op in a matching scope except convolutions, sigmoids and the gate
        multiplies that consume a sigmoid.
    """
    graph = model if isinstance(model, TFLiteGraph) else TFLiteGraph(model)
    patterns = [re.compile(s) for s in scopes]
    producers = {t.index: op.name for op in graph.ops for t in op.outputs}
    names = []
    for op in graph.ops:
        if op.name in _INT8_OPS or _is_gate_multiply(op, producers):
            continue
        for tensor in op.outputs:
            if any(p.search(tensor.name) for p in patterns):
                names.append(tensor.name)
    return names
