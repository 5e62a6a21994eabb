"""Ahead-of-time compilation for NPUs with LiteRT's vendor plugins
(`ai_edge_litert.aot`), and a run of the compiled model against the CPU."""

from keras_psa.export.npu.compiled_model_run import run_compiled_model
from keras_psa.export.npu.npu_compile_report import NpuCompileReport
from keras_psa.export.npu.npu_compile_result import NpuCompileResult
from keras_psa.export.npu.npu_compiler import compile_for_npu
from keras_psa.export.npu.npu_target import NpuTarget
from keras_psa.export.npu.npu_target import parse_targets
from keras_psa.export.npu.vendor_sdk import VENDOR_SDKS
from keras_psa.export.npu.vendor_sdk import VendorSdk

__all__ = [
    "VENDOR_SDKS",
    "NpuCompileReport",
    "NpuCompileResult",
    "NpuTarget",
    "VendorSdk",
    "compile_for_npu",
    "parse_targets",
    "run_compiled_model",
]
