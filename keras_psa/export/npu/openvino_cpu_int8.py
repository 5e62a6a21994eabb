"""Where OpenVINO's CPU device, the stand-in of an Intel NPU here, computes int8 inexactly.

oneDNN's int8 kernels on x86 CPUs without VNNI multiply unsigned by signed bytes with
`vpmaddubsw`, whose sums of two products saturate at 16 bits (32767). TFLite's int8
activations reach OpenVINO as unsigned bytes (offset by 128), so with 8-bit weights
those sums overflow on ordinary inputs: OpenVINO's NNCF quantizes to 7-bit weights on
such CPUs for this reason (its `overflow_fix`). With VNNI (`vpdpbusd`, 32-bit sums)
the results are exact. Measured on the demo-sized toy net of the NPU tests: with VNNI,
every output within 3 int8 steps of LiteRT's CPU; limited to AVX2 or AVX-512 without
VNNI (`ONEDNN_MAX_CPU_ISA`), 84%.
"""

import os
import platform

import numpy as np

# `ONEDNN_MAX_CPU_ISA` values below every ISA with VNNI (oneDNN's names).
_ISAS_WITHOUT_VNNI = ("SSE41", "AVX", "AVX2", "AVX512_CORE")
_VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
_WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
_INT8 = 9  # tflite.TensorType.INT8
# |weight| <= 64: 255 * 64 * 2 = 32640 keeps every sum of two products below 2**15.
SEVEN_BIT_LIMIT = 64


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo; None where that is not readable."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def int8_sums_saturate(flags=None, environ=None, machine=None):
    """Whether OpenVINO's CPU device sums int8 products in saturating 16 bits here.

    Args:
        flags: the CPU's feature flags; default: `cpu_flags()`.
        environ: the environment the OpenVINO process runs in (`ONEDNN_MAX_CPU_ISA`
            caps the ISA oneDNN uses); default: `os.environ`.
        machine: `platform.machine()` by default; only x86 CPUs are judged.

    Returns:
        True on an x86 CPU without VNNI, or where `ONEDNN_MAX_CPU_ISA` caps oneDNN
        below it; False where the CPU has VNNI, is not x86, or its flags are unknown.
    """
    environ = os.environ if environ is None else environ
    machine = (platform.machine() if machine is None else machine).lower()
    if machine not in ("x86_64", "amd64", "i386", "i686"):
        return False
    cap = environ.get("ONEDNN_MAX_CPU_ISA", environ.get("DNNL_MAX_CPU_ISA", ""))
    if cap.strip().upper() in _ISAS_WITHOUT_VNNI:
        return True
    flags = cpu_flags() if flags is None else flags
    if flags is None:
        return False
    return not any(flag in flags for flag in _VNNI_FLAGS)


def weights_beyond_seven_bits(model_path):
    """Whether an int8 weight of a convolution or dense op in the `.tflite` at
    `model_path` exceeds 64 in magnitude (a file with 7-bit weights cannot saturate)."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(os.fspath(model_path))
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            if flatbuffer_utils.opcode_to_name(model, op.opcodeIndex) not in _WEIGHTED_OPS:
                continue
            if len(op.inputs) < 2 or op.inputs[1] < 0:
                continue
            tensor = subgraph.tensors[op.inputs[1]]
            data = model.buffers[tensor.buffer].data
            if tensor.type != _INT8 or data is None:
                continue
            values = np.asarray(data, np.uint8).view(np.int8)
            if values.size and int(np.max(np.abs(values.astype(np.int16)))) > SEVEN_BIT_LIMIT:
                return True
    return False


SATURATION_TEXT = (
    "not judged: OpenVINO's CPU device, the NPU's stand-in here, sums int8 products in "
    "saturating 16 bits on a CPU without VNNI, so labels it moves stand for neither the "
    "NPU nor the file (run on a CPU with avx512_vnni or avx_vnni, or on the NPU device; "
    "files with 7-bit weights run exactly)")
