"""Child process of `keras_psa.inference.GpuRunner`: keeps one model compiled on LiteRT's GPU
accelerator and runs it on every request.

Usage: python gpu_serve_worker.py MODEL.tflite ENFORCE_F32

Protocol on stdin/stdout (the delegate's own prints go to stderr): one JSON line
`{"fully_accelerated": ...}` once the model is compiled (or `{"error": ...}`), then per
request a frame in (8-byte little-endian length, then an `.npz` of the inputs by signature
name) and a frame out (the outputs by name). A frame of length 0 ends the worker.
"""

import io
import json
import os
import struct
import sys

import numpy as np


def read_frame(stream):
    """One frame's payload; None at a frame of length 0 or the end of the stream."""
    header = stream.read(8)
    if len(header) < 8:
        return None
    (size,) = struct.unpack("<Q", header)
    return stream.read(size) if size else None


def write_frame(stream, payload):
    """Writes one frame (b"" ends the worker)."""
    stream.write(struct.pack("<Q", len(payload)) + payload)
    stream.flush()


def main(model_path, enforce_f32):
    # The protocol keeps the real stdout; anything native code prints goes to stderr.
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    try:
        from ai_edge_litert.compiled_model import CompiledModel
        from ai_edge_litert.hardware_accelerator import HardwareAccelerator
        from ai_edge_litert.options import GpuOptions
        from ai_edge_litert.options import Options
        from compiled_model_io import run_compiled_model

        options = Options(hardware_accelerators=HardwareAccelerator.GPU | HardwareAccelerator.CPU,
                          gpu_options=GpuOptions(enforce_f32=enforce_f32))
        model = CompiledModel.from_file(model_path, options=options)
        ready = {"fully_accelerated": bool(model.is_fully_accelerated())}
    except Exception as error:  # the delegate raises RuntimeError, ValueError, ...
        ready = {"error": f"{type(error).__name__}: {error}"}
    protocol.write((json.dumps(ready) + "\n").encode())
    protocol.flush()
    if "error" in ready:
        return 1
    while (payload := read_frame(requests)) is not None:
        inputs = dict(np.load(io.BytesIO(payload)))
        outputs, _ = run_compiled_model(model, inputs)
        buffer = io.BytesIO()
        np.savez(buffer, **outputs)
        write_frame(protocol, buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] == "1"))
