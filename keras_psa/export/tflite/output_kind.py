"""Whether a `.tflite` model's output is segmentation logits or keypoint heatmaps."""

import os

from ai_edge_litert.interpreter import Interpreter

from keras_psa.export.metadata.tflite_metadata import read_metadata

HEATMAPS = "heatmaps"
LABELS = "labels"


def output_kind(model_path):
    """`"heatmaps"` for a keypoint-heatmap model, `"labels"` for any other.

    The checks compare the task-level figure of each kind: labels (argmax over
    channels) of segmentation logits, peaks (argmax over the map) of heatmaps.
    A heatmap file says so in its metadata (output "heatmaps", written by
    `write_heatmap_metadata`); without metadata, a signature output named
    "heatmaps" (tf_keras keeps the Keras output layer's name) does.
    """
    metadata = read_metadata(model_path)
    if metadata is not None and metadata.output_name:
        return HEATMAPS if metadata.output_name == HEATMAPS else LABELS
    signatures = Interpreter(model_path=os.fspath(model_path)).get_signature_list()
    names = [name for signature in signatures.values() for name in signature["outputs"]]
    return HEATMAPS if HEATMAPS in names else LABELS
