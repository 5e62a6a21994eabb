"""Conversion of keras_psa models to TFLite/LiteRT, and the checks that say
whether a converted model runs fully on the GPU delegate and on XNNPACK.

TensorFlow only (the TFLite converter traces the model as a TensorFlow
graph): importing it under another Keras backend raises an ImportError that
says so. A model trained there and saved as `.keras` converts in a process
started with KERAS_BACKEND=tensorflow.
"""

from keras_psa.keras_flavor import require_tensorflow_backend

require_tensorflow_backend("keras_psa.export", error=ImportError)

# ruff: isort: split

from keras_psa.export.checks.browser_run import run_browser
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.gpu_accelerator import run_gpu_accelerator
from keras_psa.export.checks.gpu_compatibility import check_gpu_compatibility
from keras_psa.export.checks.gpu_fp16 import check_gpu_fp16
from keras_psa.export.checks.op_issue import OpIssue
from keras_psa.export.checks.parity import check_keras_parity
from keras_psa.export.checks.report import write_report
from keras_psa.export.checks.xnnpack_delegation import check_xnnpack_delegation
from keras_psa.export.conversion.converter import XNNPACK_FLOAT_OPS
from keras_psa.export.conversion.converter import convert_model
from keras_psa.export.conversion.float_fallback import run_ops_in_float
from keras_psa.export.conversion.float_fallback import xnnpack_float_fallback
from keras_psa.export.conversion.float_nodes import PSA_FLOAT_SCOPES
from keras_psa.export.conversion.float_nodes import select_float_nodes
from keras_psa.export.conversion.quantization_mode import QUANTIZATION_MODES
from keras_psa.export.conversion.quantization_mode import infer_quantization_mode
from keras_psa.export.conversion.representative_data import representative_images
from keras_psa.export.metadata import TFLiteMetadata
from keras_psa.export.metadata import read_metadata
from keras_psa.export.metadata import write_heatmap_metadata
from keras_psa.export.metadata import write_segmenter_metadata
from keras_psa.export.npu import compile_for_npu
from keras_psa.export.tflite.litert_runner import run_tflite
from keras_psa.export.tflite.model_inspection import inspect_model
from keras_psa.export.tflite.tflite_graph import TFLiteGraph

__all__ = [
    "PSA_FLOAT_SCOPES",
    "QUANTIZATION_MODES",
    "XNNPACK_FLOAT_OPS",
    "CheckResult",
    "OpIssue",
    "TFLiteGraph",
    "TFLiteMetadata",
    "check_gpu_compatibility",
    "check_gpu_fp16",
    "check_keras_parity",
    "check_xnnpack_delegation",
    "compile_for_npu",
    "run_ops_in_float",
    "xnnpack_float_fallback",
    "convert_model",
    "infer_quantization_mode",
    "inspect_model",
    "read_metadata",
    "representative_images",
    "run_browser",
    "run_gpu_accelerator",
    "run_tflite",
    "select_float_nodes",
    "write_heatmap_metadata",
    "write_report",
    "write_segmenter_metadata",
]
