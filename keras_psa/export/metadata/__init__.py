"""Model metadata (TFLite metadata schema) that MediaPipe Tasks reads: writers and a reader."""

from keras_psa.export.metadata.associated_files import keep_associated_files
from keras_psa.export.metadata.associated_files import read_associated_files
from keras_psa.export.metadata.label_names import parse_names
from keras_psa.export.metadata.label_names import training_class_names
from keras_psa.export.metadata.metadata_writer import OUTPUT_ACTIVATIONS
from keras_psa.export.metadata.metadata_writer import write_heatmap_metadata
from keras_psa.export.metadata.metadata_writer import write_segmenter_metadata
from keras_psa.export.metadata.tflite_metadata import TFLiteMetadata
from keras_psa.export.metadata.tflite_metadata import read_metadata

__all__ = [
    "OUTPUT_ACTIVATIONS",
    "TFLiteMetadata",
    "keep_associated_files",
    "parse_names",
    "read_associated_files",
    "read_metadata",
    "training_class_names",
    "write_heatmap_metadata",
    "write_segmenter_metadata",
]
