"""Runs an NPU-compiled `.tflite` through LiteRT's `CompiledModel` and compares it
with the source model on LiteRT's CPU interpreter.

The run happens in a child process: a crash inside a vendor's dispatch library
ends the child, not the caller.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from keras_psa.export import litert_workers
from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import NOT_JUDGED
from keras_psa.export.checks.check_result import UNAVAILABLE
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.checks.task_criteria import StepShare
from keras_psa.export.checks.task_criteria import combine
from keras_psa.export.checks.task_criteria import figures_by_name
from keras_psa.export.checks.task_criteria import judge_output
from keras_psa.export.checks.task_criteria import task_figures
from keras_psa.export.npu.openvino_cpu_int8 import SATURATION_TEXT
from keras_psa.export.npu.openvino_cpu_int8 import int8_sums_saturate
from keras_psa.export.npu.openvino_cpu_int8 import weights_beyond_seven_bits
from keras_psa.export.tflite.output_kind import HEATMAPS
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.export.tflite.output_steps import output_grids
from keras_psa.export.tflite.quantized_io import to_model_input

_WORKER = os.path.join(os.path.dirname(litert_workers.__file__), "npu_worker.py")
_RESULT_PREFIX = "KERAS_PSA_NPU_RESULT "
STEPS = (1, 2, 3)
_OPENVINO_DEVICE = re.compile(r"Using Intel OpenVINO device: (\w+)")
# The step diagnostic's own share (within one step), before its floor lowers it.
STEP_SHARE = 0.99


def random_inputs(model_path, num_inputs=2, pixel_range=(0.0, 255.0), seed=0):
    """`num_inputs` random samples per signature input, in the input's dtype.

    Float values are uniform in `pixel_range`; int8/uint8 inputs get those
    values quantized with the input's own scale and zero point.
    """
    runner = Interpreter(model_path=os.fspath(model_path)).get_signature_runner()
    rng = np.random.default_rng(seed)
    low, high = pixel_range
    samples = {}
    for name, details in runner.get_input_details().items():
        shape = tuple(int(d) for d in details["shape"])
        values = rng.uniform(low, high, size=(num_inputs,) + shape).astype(np.float32)
        samples[name] = to_model_input(values, details)
    return samples


def image_inputs(model_path, images):
    """The images `(N, H, W, C)`, in the range the model takes, as signature inputs.

    For a model with one image input; int8/uint8 inputs get the images
    quantized with the input's own scale and zero point.
    """
    runner = Interpreter(model_path=os.fspath(model_path)).get_signature_runner()
    details = runner.get_input_details()
    if len(details) != 1:
        raise ValueError(f"`images` needs a model with one input. Received: {model_path} with "
                         f"inputs {sorted(details)}")
    (name, input_details), = details.items()
    images = np.asarray(images, dtype=np.float32)
    shape = tuple(int(d) for d in input_details["shape"])
    if images.ndim != len(shape) or images.shape[1:] != shape[1:] or not len(images):
        raise ValueError(
            f"`images` must be a non-empty array of shape (N, "
            f"{', '.join(str(d) for d in shape[1:])}) for {model_path}. Received: images of "
            f"shape {images.shape}")
    return {name: to_model_input(images[:, None], input_details)}


def run_compiled_model(source_path, compiled_path, *, inputs=None, num_inputs=2,
                       pixel_range=(0.0, 255.0), seed=0, timeout=300, real_inputs=None):
    """Runs `compiled_path` on its NPU dispatch library and `source_path` on the CPU.

    Args:
        source_path: the `.tflite` that was compiled.
        compiled_path: the compiled `.tflite` (DISPATCH_OP custom ops).
        inputs: dict from signature input name to an array of samples (one per
            row) in the model's input dtype; `random_inputs` by default.
        num_inputs, pixel_range, seed: the default random inputs.
        timeout: seconds before the child is killed.
        real_inputs: whether `inputs` are real images; default: whether
            `inputs` were given. The compiled model passes when it does the
            task as the CPU interpreter does (`task_criteria.judge_output`:
            pixel labels of segmentation logits, keypoints of heatmaps,
            `output_kind` tells them apart), beside the floor of XNNPACK vs
            the same CPU kernels; on random inputs that is "not judged". Its
            int8 steps are a diagnostic; they decide only for an output
            without a task-level figure (99% within one step, or the floor
            less `FLOOR_MARGIN`). On OpenVINO's CPU device on a CPU without
            VNNI, whose int8 sums saturate for weights beyond 7 bits
            (`openvino_cpu_int8`), a run that would fail is "not judged".

    Returns:
        A `CheckResult` named `"npu_run"`: `details` holds the task-level
        figures and, for outputs that are int8 tensors (or the DEQUANTIZE of
        one), the share of outputs within 1, 2 and 3 quantization steps of the CPU's;
        `xnnpack_vs_cpu` the same figures of XNNPACK against the same builtin CPU
        kernels, the floor no other backend can be expected to beat (a model
        that amplifies int8 rounding makes even two CPU backends disagree).
    """
    source_path = os.path.abspath(os.fspath(source_path))
    compiled_path = os.path.abspath(os.fspath(compiled_path))
    if not Interpreter(model_path=source_path).get_signature_list():
        return CheckResult("npu_run", UNAVAILABLE,
                           message="not run: the model has no signature (convert it from a "
                                   "Keras model or a SavedModel to get one)")
    real_inputs = inputs is not None if real_inputs is None else real_inputs
    if inputs is None:
        inputs = random_inputs(source_path, num_inputs, pixel_range, seed)
    with tempfile.TemporaryDirectory(prefix="keras_psa_npu_") as tmp:
        inputs_path = os.path.join(tmp, "inputs.npz")
        outputs_path = os.path.join(tmp, "outputs.npz")
        np.savez(inputs_path, **inputs)
        command = [sys.executable, _WORKER, source_path, compiled_path, inputs_path,
                   outputs_path]
        try:
            child = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                   check=False)
        except subprocess.TimeoutExpired:
            return CheckResult("npu_run", FAILED, message=f"run timed out after {timeout} s")
        log = child.stdout + "\n" + child.stderr
        result_line = [ln for ln in log.splitlines() if ln.startswith(_RESULT_PREFIX)]
        if child.returncode != 0 or not result_line:
            return CheckResult("npu_run", FAILED,
                               details={"returncode": child.returncode, "log_tail": log[-4000:]},
                               message=f"CompiledModel run crashed or failed (exit code "
                                       f"{child.returncode})")
        worker = json.loads(result_line[-1][len(_RESULT_PREFIX):])
        outputs = dict(np.load(outputs_path))
    openvino_device = _OPENVINO_DEVICE.search(log)
    grids = output_grids(source_path)
    kind = output_kind(source_path)
    input_size = _input_size(source_path)
    figures, classes, shares, max_abs = {}, {}, {}, {}
    floor = {}  # XNNPACK vs the builtin kernels: how far two CPU backends differ
    for key, expected in outputs.items():
        if not key.startswith("cpu/"):
            continue
        name = key[4:]
        actual = outputs[f"npu/{name}"].astype(np.float64)
        max_abs[name] = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
        grid = grids.get(name)
        found = _compare(outputs[f"npu/{name}"], expected, grid, kind, input_size)
        figures[name] = found["figures"]
        if kind != HEATMAPS and found["figures"]["label_agreement"] is not None:
            # One label everywhere (an untrained net's all-zero output) agrees trivially.
            classes[name] = int(np.unique(np.argmax(expected, -1)).size)
        if "shares" in found:
            shares[name] = found["shares"]
        if f"xnnpack/{name}" in outputs:
            floor[name] = _compare(outputs[f"xnnpack/{name}"], expected, grid, kind, input_size)
    details = {
        "fully_accelerated": worker["fully_accelerated"],
        "num_inputs": int(len(next(iter(inputs.values())))),
        "inputs": "given images" if real_inputs else f"random inputs in {pixel_range}",
        "output_kind": kind,
        "task_figures": figures,
        **figures_by_name(figures),
        "labels_in_use": classes,
        "share_within_int8_steps": shares,
        "max_abs_difference": max_abs,
        "xnnpack_vs_cpu": floor,
    }
    # The child ran in this environment: its oneDNN saw the ISA cap this process sees.
    saturates = (openvino_device is not None and openvino_device.group(1) == "CPU"
                 and int8_sums_saturate() and weights_beyond_seven_bits(source_path))
    if openvino_device is not None:
        details["openvino_device"] = openvino_device.group(1)
        details["openvino_cpu_int8_saturates"] = saturates
    verdicts = []  # (status, text)
    for name in figures:
        steps = None
        if name in shares:
            steps = StepShare(shares[name][1], 1, STEP_SHARE,
                              floor.get(name, {}).get("shares", {}).get(1))
        status, text = judge_output(kind, figures[name], real_inputs=real_inputs,
                                    quantized=True,
                                    floor_figures=floor.get(name, {}).get("figures"),
                                    floor_text="XNNPACK vs the same CPU", steps=steps)
        if status and name in shares:
            text += " (within 1/2/3 steps: " + "/".join(
                f"{shares[name][k]:.2%}" for k in STEPS) + ")"
        verdicts.append((status, f"{name}: {text}"))
    status, shown = combine(verdicts)
    if saturates and status in (FAILED, NOT_JUDGED):
        # A pass still holds (the compiled graph did the task despite the sums); a
        # failure may be the stand-in's arithmetic alone.
        status, shown = NOT_JUDGED, [SATURATION_TEXT, *shown]
    return CheckResult("npu_run", status, details=details, message="; ".join(shown) or "ran")


def _input_size(model_path):
    """(H, W) of a one-image model's input, or None."""
    runner = Interpreter(model_path=os.fspath(model_path)).get_signature_runner()
    shapes = [tuple(d["shape"]) for d in runner.get_input_details().values()]
    return tuple(int(d) for d in shapes[0][1:3]) if len(shapes) == 1 and len(
        shapes[0]) == 4 else None


def _compare(actual, expected, grid, kind, input_size):
    """Task-level figures (`task_figures`) and int8 step shares of two runs'
    outputs (samples, 1, ...), each sample compared on its own."""
    pair = [np.concatenate(list(np.asarray(o, dtype=np.float64))) for o in (actual, expected)]
    found = {"figures": task_figures(kind, *pair, input_size)}
    # An int8 output counts in its tensor's steps, as does a float output read
    # from an int8 tensor (DEQUANTIZE); a float computation has none.
    if grid:
        actual, expected = grid.real_values(actual), grid.real_values(expected)
        found["shares"] = {k: share_within_steps(actual, expected, grid.step, k,
                                                 grid.sigmoid_input_step) for k in STEPS}
    return found
