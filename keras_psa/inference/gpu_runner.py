"""A `.tflite` file kept compiled on LiteRT's GPU accelerator, in a child process."""

import atexit
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from keras_psa.export import litert_workers
from keras_psa.export.litert_workers.gpu_serve_worker import read_frame
from keras_psa.export.litert_workers.gpu_serve_worker import write_frame

_WORKER = os.path.join(os.path.dirname(litert_workers.__file__), "gpu_serve_worker.py")


class GpuRunnerError(RuntimeError):
    """The GPU accelerator cannot run the file here; the message says why and what to do."""


class GpuRunner:
    """Runs a `.tflite` file on LiteRT's GPU accelerator (WebGPU over Vulkan).

    The model is compiled once in a child process (`litert_workers/gpu_serve_worker.py`)
    started with the Vulkan environment the GPU checks use (a GPU's driver, else
    SwiftShader from Debian's chromium), so a crash inside the delegate ends the child, not
    the caller. Inputs are quantized and outputs dequantized with the file's own scales, as
    on the CPU. Ops the delegate does not take run on LiteRT's CPU, as on a phone:
    `ops_on_cpu` says how many.

    Args:
        path: the `.tflite` file.
        enforce_f32: keep float32 arithmetic on the GPU (False: the delegate's default,
            which may compute in float16 as phones do).

    Example:

    ```python
    runner = GpuRunner("model.tflite")
    logits = runner.run(images)[0]   # float32, like run_tflite's first output
    runner.close()
    ```
    """

    def __init__(self, path, enforce_f32=False):
        from keras_psa.export.checks.gpu_accelerator import _ADAPTER
        from keras_psa.export.checks.gpu_accelerator import _NO_DEVICE
        from keras_psa.export.checks.gpu_accelerator import ops_left_on_cpu
        from keras_psa.export.checks.gpu_accelerator import vulkan_environment
        from keras_psa.export.tflite.litert_runner import make_interpreter

        self.path = os.fspath(path)
        interpreter = make_interpreter(self.path, xnnpack=False)
        self._input_details = interpreter.get_input_details()
        self._output_details = interpreter.get_output_details()
        signature = next(iter(interpreter._get_full_signature_list().values()), None)
        if signature is None:
            raise GpuRunnerError(f"{self.path} has no signature; LiteRT's CompiledModel runs "
                                 "files with one (every converter of this package writes it).")
        by_index = {index: name for name, index in signature["inputs"].items()}
        self._input_names = [by_index[d["index"]] for d in self._input_details]
        by_index = {index: name for name, index in signature["outputs"].items()}
        self._output_names = [by_index[d["index"]] for d in self._output_details]
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, _WORKER, self.path, "1" if enforce_f32 else "0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            cwd=os.path.dirname(_WORKER), env=vulkan_environment())
        atexit.register(self.close)
        ready = self._process.stdout.readline()
        log = self._read_log()
        try:
            ready = json.loads(ready)
        except json.JSONDecodeError:
            ready = {"error": f"the worker ended: {log[-2000:]}"}
        no_device = next((line for line in _NO_DEVICE if line in log), None)
        if no_device is not None and "error" not in ready:
            # Without a device the accelerator falls back to the CPU and says so in its log.
            ready = {"error": f"no Vulkan device ({no_device})"}
        if "error" in ready:
            self.close()
            raise GpuRunnerError(
                f"LiteRT's GPU accelerator cannot run {self.path}: {ready['error']}. It needs a "
                "Vulkan device: a GPU driver, or SwiftShader from Debian's chromium package "
                "(`apt install chromium`); `--accelerator cpu` runs on the CPU.")
        self.ops_on_cpu = ops_left_on_cpu(log)
        self.fully_accelerated = bool(ready["fully_accelerated"]) and self.ops_on_cpu == 0
        adapter = _ADAPTER.search(log)
        self.adapter = adapter.group(1).strip() if adapter else None

    def _read_log(self):
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")
        self._log.seek(0, os.SEEK_END)
        return text

    @property
    def description(self):
        """What runs the model, for reports."""
        where = f" on {self.adapter}" if self.adapter else ""
        share = ("fully accelerated" if self.fully_accelerated
                 else f"{self.ops_on_cpu} ops on the CPU")
        return f"LiteRT GPU accelerator{where} ({share})"

    def run(self, inputs):
        """The outputs (float32, dequantized) of one batch: an array or one per input."""
        from keras_psa.export.tflite.quantized_io import to_float_output
        from keras_psa.export.tflite.quantized_io import to_model_input

        if self._process is None:
            raise GpuRunnerError(f"The GPU runner of {self.path} is closed.")
        inputs = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        if len(inputs) != len(self._input_details):
            raise ValueError(f"`inputs` must hold {len(self._input_details)} array(s) for "
                             f"{self.path}. Received: {len(inputs)}")
        buffer = io.BytesIO()
        np.savez(buffer, **{name: to_model_input(array, details) for name, array, details
                            in zip(self._input_names, inputs, self._input_details)})
        try:
            write_frame(self._process.stdin, buffer.getvalue())
            payload = read_frame(self._process.stdout)
            if payload is None:
                raise BrokenPipeError("the worker closed its output")
            outputs = np.load(io.BytesIO(payload))
        except BrokenPipeError as error:
            log = self._read_log()
            self.close()
            raise GpuRunnerError(f"LiteRT's GPU accelerator ended while running {self.path}: "
                                 f"{log[-2000:]}") from error
        return [to_float_output(outputs[name], details)
                for name, details in zip(self._output_names, self._output_details)]

    def close(self):
        """Ends the child process (also at exit)."""
        process, self._process = getattr(self, "_process", None), None
        if process is None:
            return
        try:
            write_frame(process.stdin, b"")
            process.stdin.close()
            process.wait(timeout=10)
        except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
