"""Runs an NPU-compiled `.tflite` through LiteRT's `CompiledModel` and compares it
with the source model on LiteRT's CPU interpreter.

The run happens in a child process: a crash inside a vendor's dispatch library
ends the child, not the caller.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from keras_psa.export import litert_workers
from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import UNAVAILABLE
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.error_measures import AGREEMENTS
from keras_psa.export.checks.error_measures import peak_shift
from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.tflite.output_kind import HEATMAPS
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.export.tflite.output_steps import output_grids
from keras_psa.export.tflite.quantized_io import to_model_input

_WORKER = os.path.join(os.path.dirname(litert_workers.__file__), "npu_worker.py")
_RESULT_PREFIX = "KERAS_PSA_NPU_RESULT "
STEPS = (1, 2, 3)


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
                       pixel_range=(0.0, 255.0), seed=0, label_share=0.99, timeout=300):
    """Runs `compiled_path` on its NPU dispatch library and `source_path` on the CPU.

    Args:
        source_path: the `.tflite` that was compiled.
        compiled_path: the compiled `.tflite` (DISPATCH_OP custom ops).
        inputs: dict from signature input name to an array of samples (one per
            row) in the model's input dtype; `random_inputs` by default.
        num_inputs, pixel_range, seed: the default random inputs.
        label_share: smallest share of the task-level results that must equal
            the CPU interpreter's: pixel labels (argmax over channels) of
            segmentation logits, peaks (argmax over each map) of keypoint
            heatmaps (`output_kind` tells them apart).
        timeout: seconds before the child is killed.

    Returns:
        A `CheckResult` named `"npu_run"`: `details` holds the label (or peak)
        agreement and, for outputs that are int8 tensors (or the DEQUANTIZE of
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
    grids = output_grids(source_path)
    kind = output_kind(source_path)
    agreement_name, agreement_of = AGREEMENTS[kind]
    labels, classes, shares, max_abs, shifts = {}, {}, {}, {}, {}
    floor = {}  # XNNPACK vs the builtin kernels: how far two CPU backends differ
    for key, expected in outputs.items():
        if not key.startswith("cpu/"):
            continue
        name = key[4:]
        actual = outputs[f"npu/{name}"].astype(np.float64)
        max_abs[name] = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
        grid = grids.get(name)
        found = _compare(outputs[f"npu/{name}"], expected, agreement_of, grid, kind)
        if found["agreement"] is not None:
            labels[name] = found["agreement"]
            if kind == HEATMAPS:
                shifts[name] = found["shift"]
            else:
                # One label everywhere (an untrained net's all-zero output) agrees trivially.
                classes[name] = int(np.unique(np.argmax(expected, -1)).size)
        if "shares" in found:
            shares[name] = found["shares"]
        if f"xnnpack/{name}" in outputs:
            floor[name] = _compare(outputs[f"xnnpack/{name}"], expected, agreement_of, grid,
                                   kind)
    details = {
        "fully_accelerated": worker["fully_accelerated"],
        "num_inputs": int(len(next(iter(inputs.values())))),
        "output_kind": kind,
        agreement_name: labels,
        **({"peak_shift_cells": shifts} if kind == HEATMAPS else {}),
        "label_share": label_share,
        "labels_in_use": classes,
        "share_within_int8_steps": shares,
        "max_abs_difference": max_abs,
        "xnnpack_vs_cpu": floor,
    }

    def agree(name, share):
        if kind != HEATMAPS:
            return f"labels agree on {share:.2%} of pixels"
        return (f"peaks agree on {share:.2%} of heatmaps (mean shift "
                f"{shifts[name]:.2f} cells)")

    def floor_of(name):
        found = floor.get(name, {}).get("agreement")
        return "" if found is None else f" (XNNPACK vs the same CPU: {found:.2%})"

    bad = [f"{name}: {agree(name, share)} < {label_share:.0%}{floor_of(name)}"
           for name, share in labels.items() if not share >= label_share]
    status = FAILED if bad else PASSED
    if bad:
        message = "; ".join(bad)
    else:
        parts = [agree(*min(labels.items(), key=lambda item: item[1]))] if labels else []
        if shares:
            worst = {k: min(s[k] for s in shares.values()) for k in STEPS}
            parts.append("int8 outputs within 1/2/3 steps: " +
                         "/".join(f"{worst[k]:.2%}" for k in STEPS))
        message = ", ".join(parts) or "ran"
    return CheckResult("npu_run", status, details=details, message=message)


def _compare(actual, expected, agreement_of, grid, kind):
    """Task-level agreement, peak shift (heatmaps) and int8 step shares of two runs'
    outputs (samples, 1, ...), each sample compared on its own."""
    pair = [np.concatenate(list(np.asarray(o, dtype=np.float64))) for o in (actual, expected)]
    found = {"agreement": agreement_of(*pair),
             "shift": peak_shift(*pair) if kind == HEATMAPS else None}
    # An int8 output counts in its tensor's steps, as does a float output read
    # from an int8 tensor (DEQUANTIZE); a float computation has none.
    if grid:
        actual, expected = grid.real_values(actual), grid.real_values(expected)
        found["shares"] = {k: share_within_steps(actual, expected, grid.step, k,
                                                 grid.sigmoid_input_step) for k in STEPS}
    return found
