"""Whether a `.tflite` model survives the fp16 arithmetic of phone GPUs.

LiteRT's GPU accelerator computes in fp16 on phones by default (precision
kDefault; `GpuOptions.enforce_f32` is off), but `gpu_run` runs on SwiftShader,
whose Vulkan has no shaderFloat16: fp32 arithmetic. Two parts make up for it:

- emulation: the file on XNNPACK forced to fp16 (CPUs with AVX2 and F16C) vs the
  same file on XNNPACK in fp32, on real inputs, judged by the task (labels,
  keypoint peaks). XNNPACK rounds every op it takes to fp16 but accumulates
  its reductions in fp32, and ops it does not take run in fp32. Forced to fp16
  it takes only an int8 file's float islands and leaves its int8 ops to
  TFLite's builtin kernels, so an int8 file's fp16 run is set against the
  builtin kernels in fp32, and an all-int8 file has nothing to emulate;
- a range audit: the file's fp32 intermediates, on the inputs and on inputs of
  twice their contrast, against what fp16 holds (max 65504, smallest normal
  6.1e-5): what a GPU's fp16 sums and LayerNorms would do, which XNNPACK cannot
  show.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType

from keras_psa.export import litert_workers
from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import NOT_JUDGED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import UNAVAILABLE
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.error_measures import relative_error
from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.checks.op_issue import OpIssue
from keras_psa.export.checks.task_criteria import StepShare
from keras_psa.export.checks.task_criteria import combine
from keras_psa.export.checks.task_criteria import figures_by_name
from keras_psa.export.checks.task_criteria import judge_output
from keras_psa.export.checks.task_criteria import task_figures
from keras_psa.export.checks.task_criteria import task_value
from keras_psa.export.checks.xnnpack_delegation import delegated_nodes
from keras_psa.export.conversion.quantization_mode import infer_quantization_mode
from keras_psa.export.tflite.float_islands import float_islands
from keras_psa.export.tflite.litert_runner import make_interpreter
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.export.tflite.output_steps import output_grids
from keras_psa.export.tflite.quantized_io import to_float_output
from keras_psa.export.tflite.quantized_io import to_model_input
from keras_psa.export.tflite.tflite_graph import TFLiteGraph

FP16_MAX = 65504.0
FP16_SMALLEST_NORMAL = 6.103515625e-05
# A tensor past a quarter of fp16's range leaves no room for the next ADD or MUL.
TENSOR_LIMIT = 16384.0
# |x - mean| above this overflows fp16 once squared (256**2 = 65536 > 65504).
SQUARE_INPUT_LIMIT = 256.0
# Outputs without a task-level figure (no class axis, no heatmaps): the largest
# relative error fp16 may add, as the float16 files' GPU tolerance.
FP16_TOLERANCE = 1e-2
# Contrast of the scaled-up inputs: twice the distance from the middle of the pixel
# range, clipped to it (a camera gives nothing outside it).
CONTRAST = 2.0
MAX_ISSUES = 20
# An int8 output (or the DEQUANTIZE of one) without a task-level figure is judged in
# steps, as gpu_run judges it; with one, the steps are a diagnostic
# (`task_criteria.judge_output`).
INT8_STEPS = 3
INT8_SHARE = 0.99

_WORKER = os.path.join(os.path.dirname(litert_workers.__file__), "fp16_worker.py")
_RESULT_PREFIX = "KERAS_PSA_FP16_RESULT "
_REDUCTIONS = ("SUM", "MEAN")
_SQUARES = ("SQUARE", "SQUARED_DIFFERENCE")
_FIX_TENSOR = ("keep activations in fp16's range: a normalisation (BatchNorm) or smaller "
               "weights before this op, or GpuOptions(enforce_f32=True) for this model")
_FIX_SUM = ("sum values pre-scaled by 1/N (each term <= max |x|; a MEAN then multiplied "
            "back), or reduce in two smaller steps (W, then H)")
_FIX_MEAN = ("pre-scale by 1/N and SUM (the partial sums stay <= max |x|), or reduce in two "
             "smaller steps (W, then H)")
_FIX_EPSILON = ("use an epsilon >= 6.1e-5, or LayerNorm in a scaled form (x / max|x|, "
                "epsilon / max|x|**2, as keras_psa's psa_ops.layer_norm_last_axis)")
_FIX_SQUARE = ("square x / max|x| (<= 1) and scale the variance back (LayerNorm is scale "
               "invariant: keras_psa's psa_ops.layer_norm_last_axis)")
# What the audit assumes of a GPU's reductions: LiteRT#9249 saw SUM overflow on Mali
# and Metal, litert-samples#222 a global MEAN. Nothing in the delegate's API promises
# fp32 accumulation, so MEAN is taken to sum in fp16 before it divides, as SUM does.
MEAN_ASSUMPTION = ("a GPU's SUM and MEAN accumulate in fp16 (MEAN divides after the sum), "
                   "as reported for Mali and Metal (google-ai-edge/LiteRT#9249, "
                   "litert-samples#222)")


def check_gpu_fp16(model_path, images=None, pixel_range=(0.0, 1.0), num_inputs=2, seed=0,
                   contrast=CONTRAST, timeout=300):
    """Checks that a `.tflite` model computes right in fp16, as phone GPUs do.

    Args:
        model_path: path to the `.tflite` file (float32, float16 or int8).
        images: real inputs `(N, H, W, C)` in the model's pixel range; default
            `num_inputs` uniform random images in `pixel_range`.
        pixel_range: the range of the model's input (0..255 for the package's
            models); random images are drawn from it and the scaled-up inputs
            stay in it. Defaults to `(0.0, 1.0)`.
        num_inputs: how many random images when `images` is None. Defaults to 2.
        seed: seed of the random images. Defaults to 0.
        contrast: the audit also runs on inputs `contrast` times as far from
            the middle of `pixel_range`, clipped to it. Defaults to 2.0.
        timeout: seconds before the emulation's child process is killed.
            Defaults to 300.

    The emulation is judged by the shipping rules (`task_criteria.judge_output`):
    finite outputs, and fp16 labels (keypoints) as fp32's on >= 99% of pixels
    (within 1 px) or as the file's own fp32 floor, two fp32 backends (XNNPACK
    and TFLite's builtin kernels) on the same inputs, whichever is less strict;
    a float file's outputs also within `FP16_TOLERANCE`; an int8 output without
    a task-level figure 99% within 3 steps. An int8 file on random images is
    "not judged".

    Returns:
        A `CheckResult` named `"gpu_fp16"`: `"failed"` when the audit finds a
        tensor fp16 cannot hold (each an `OpIssue` naming the op, tensor and
        fix) or the fp16 emulation disagrees with fp32; `"unavailable"` when
        the audit passes and this CPU cannot emulate fp16 (no AVX2/F16C) or the
        file has no op that runs in fp16 (all int8);
        `"not judged"` when it passes but an int8 file ran on random images.

    Example:

    ```python
    result = check_gpu_fp16("model.tflite", pixel_range=(0.0, 255.0))
    result.status, [str(issue) for issue in result.issues]
    # ('failed', ['#41 SUM: ... sum of |x| over 4096 positions reaches 1.2e+06 ...'])
    ```
    """
    model_path = os.path.abspath(os.fspath(model_path))
    graph = TFLiteGraph.from_file(model_path)
    given = images is not None
    if not (len(pixel_range) == 2 and pixel_range[0] < pixel_range[1]):
        raise ValueError(f"`pixel_range` must be (low, high) with low < high. "
                         f"Received: pixel_range={pixel_range}")
    images = _images(graph, model_path, images, pixel_range, num_inputs, seed)
    scaled = _scaled_up(images, pixel_range, contrast)
    issues, audit = _range_audit(model_path, {"inputs": images, "scaled-up inputs": scaled},
                                graph)
    audit["scaled_inputs"] = (f"{contrast:g}x the distance from the middle of {pixel_range}, "
                              "clipped to it")
    audit["mean_assumption"] = MEAN_ASSUMPTION
    emulation = _emulation(model_path, graph, images, given, timeout)
    details = {"inputs": (f"{len(images)} given images" if given
                          else f"{len(images)} random images in {tuple(pixel_range)}"),
               "emulation": emulation, "audit": audit,
               "gpu_run_note": "gpu_run computes in fp32 (SwiftShader has no shaderFloat16); "
                               "this check stands for a phone GPU's fp16"}
    shown = issues[:MAX_ISSUES]
    if len(issues) > len(shown):
        details["issues_left_out"] = len(issues) - len(shown)
    parts = [f"audit: {len(issues)} fp16 range issue(s)" if issues
             else "audit: every tensor within fp16's range"]
    parts.append(emulation["summary"])
    status = PASSED
    if issues or emulation["status"] == FAILED:
        status = FAILED
    elif emulation["status"] in (UNAVAILABLE, NOT_JUDGED):
        status = emulation["status"]
    return CheckResult("gpu_fp16", status, shown, details, "; ".join(parts))


def _images(graph, model_path, images, pixel_range, num_inputs, seed):
    if len(graph.inputs) != 1:
        raise ValueError(f"`model_path` must be a model with one input. Received: "
                         f"{model_path} with {len(graph.inputs)} inputs")
    shape = graph.inputs[0].shape
    if images is None:
        if num_inputs < 1:
            raise ValueError(f"`num_inputs` must be >= 1. Received: num_inputs={num_inputs}")
        rng = np.random.default_rng(seed)
        return rng.uniform(*pixel_range, size=(num_inputs, *shape[1:])).astype(np.float32)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != len(shape) or tuple(images.shape[1:]) != tuple(shape[1:]) or not len(images):
        raise ValueError(
            f"`images` must be a non-empty array of inputs of shape "
            f"(N, {', '.join(str(d) for d in shape[1:])}) for {model_path}. "
            f"Received: images of shape {images.shape}")
    return images


def _scaled_up(images, pixel_range, contrast):
    low, high = pixel_range
    middle = (low + high) / 2
    return np.clip(middle + contrast * (images - middle), low, high).astype(np.float32)


def _cpu_has_fp16():
    """Whether this CPU runs XNNPACK's fp16 kernels: x86 with AVX2 and F16C (read from
    /proc/cpuinfo; ARM64 CPUs have fp16 arithmetic when they list `fphp`/`asimdhp`)."""
    try:
        with open("/proc/cpuinfo") as file:
            flags = set()
            for line in file:
                if line.startswith(("flags", "Features")):
                    flags.update(line.split(":", 1)[1].split())
    except OSError:
        return False
    return {"avx2", "f16c"} <= flags or {"fphp", "asimdhp"} <= flags


# === Emulation: XNNPACK fp16 vs fp32 ===


def _emulation(model_path, graph, images, real_inputs, timeout):
    result = {"xnnpack_fp32_ops": _ops_outside_xnnpack(model_path)}
    if not _cpu_has_fp16():
        result.update(status=UNAVAILABLE, summary="emulation could not run here: the CPU "
                      "lacks AVX2/F16C for XNNPACK's fp16 kernels")
        return result
    kind = output_kind(model_path)
    quantized = infer_quantization_mode(model_path) == "int8"
    if quantized:
        result["fp16_ops"] = float_islands(model_path)
        if not result["fp16_ops"]:
            result.update(status=UNAVAILABLE, summary=(
                "emulation has nothing to run in fp16: every op of this file is int8, and "
                "XNNPACK forced to fp16 leaves int8 ops to TFLite's builtin kernels. A GPU "
                "dequantizes int8 and computes in fp16: for this file only the range audit "
                "stands for it"))
            return result
    interpreter = Interpreter(model_path=model_path)
    details = interpreter.get_input_details()[0]
    name = next(iter(interpreter.get_signature_list().values()))["inputs"][0]
    with tempfile.TemporaryDirectory(prefix="keras_psa_fp16_") as tmp:
        inputs_path = os.path.join(tmp, "inputs.npz")
        outputs_path = os.path.join(tmp, "outputs.npz")
        np.savez(inputs_path, **{name: to_model_input(images[:, None], details)})
        try:
            # A child process: a crash in XNNPACK's fp16 path ends it, not the caller.
            child = subprocess.run([sys.executable, _WORKER, model_path, inputs_path,
                                    outputs_path], capture_output=True, text=True,
                                   timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            result.update(status=FAILED, summary=f"emulation timed out after {timeout} s")
            return result
        log = child.stdout + "\n" + child.stderr
        if child.returncode != 0 or _RESULT_PREFIX.strip() not in log:
            result.update(status=FAILED, log_tail=log[-3000:],
                          summary=f"emulation crashed or failed (exit code {child.returncode})")
            return result
        outputs = dict(np.load(outputs_path))
    scales = _output_scales(model_path)
    grids = output_grids(model_path)
    input_size = tuple(graph.inputs[0].shape[1:3])
    # Two fp32 backends on the same inputs: their agreement is the floor below which
    # fp16 cannot be asked to agree (a random-weight net's near-tied labels).
    builtin = {f"fp32/{out}": value[:, None] for out, value in _builtin_outputs(
        model_path, name, to_model_input(images[:, None], details)).items()}
    xnnpack_fp32 = {key: outputs[key] for key in outputs if key.startswith("fp32/")}
    if quantized:
        # XNNPACK forced to fp16 takes only the float islands; the int8 ops run on TFLite's
        # builtin kernels, whose rounding differs from XNNPACK's int8 kernels. The fp32
        # counterpart of that run is the builtin kernels', not fp32 XNNPACK's.
        outputs.update(builtin)
        result["reference"] = "TFLite's builtin kernels (fp32)"
    else:
        result["reference"] = "XNNPACK (fp32)"
    errors, figures, shares, floors = {}, {}, {}, {}
    verdicts = []  # (status, text)
    for key in sorted(outputs):
        if not key.startswith("fp32/"):
            continue
        out = key[len("fp32/"):]
        scale, zero_point = scales.get(out, (0.0, 0))
        as_float = _dequantize(scale, zero_point)
        fp32 = np.concatenate([as_float(v) for v in outputs[key]])
        fp16 = np.concatenate([as_float(v) for v in outputs[f"fp16/{out}"]])
        if not np.isfinite(fp16).all():
            errors[out] = float("inf")
            verdicts.append((FAILED, f"{out}: non-finite fp16 outputs"))
            continue
        errors[out] = relative_error(fp16, fp32)
        figures[out] = task_figures(kind, fp16, fp32, input_size)
        floors[out] = task_figures(
            kind, np.concatenate([as_float(v) for v in xnnpack_fp32[key]]),
            np.concatenate([as_float(v) for v in builtin[key]]), input_size)
        grid = grids.get(out)
        steps = None
        if grid is not None:
            shares[out] = share_within_steps(fp16, fp32, grid.step, INT8_STEPS,
                                             grid.sigmoid_input_step)
            steps = StepShare(shares[out], INT8_STEPS, INT8_SHARE)
        status, text = judge_output(kind, figures[out], real_inputs=real_inputs,
                                    quantized=quantized, floor_figures=floors[out],
                                    floor_text="fp32 XNNPACK vs builtin kernels", steps=steps,
                                    # fp16 rounds every op: the error judges only
                                    # an output without a task-level figure.
                                    error=(None if task_value(kind, figures[out]) is not None
                                           else errors[out]), tolerance=FP16_TOLERANCE)
        verdicts.append((status, f"{out}: {text}"))
    result.update({"relative_error": errors, "finite": all(np.isfinite(list(errors.values()))),
                   "output_kind": kind, "task_figures": figures,
                   **figures_by_name(figures)})
    if shares:
        result.update(share_within_int8_steps=shares, int8_steps=INT8_STEPS)
    result["fp32_floor"] = figures_by_name(floors)
    result["status"], shown = combine(verdicts)
    worst = max(errors.values()) if errors else float("nan")
    against = "builtin kernels fp32" if quantized else "fp32"
    result["summary"] = (f"emulation (XNNPACK fp16 vs {against}): " + "; ".join(shown)
                         + f", max rel. error {worst:.3g}")
    return result


def _builtin_outputs(model_path, input_name, model_inputs):
    """The file's raw outputs `(N, ...)` on TFLite's builtin kernels (fp32, no
    XNNPACK), by output name."""
    interpreter = make_interpreter(model_path, xnnpack=False)
    runner = interpreter.get_signature_runner()
    rows = [runner(**{input_name: sample}) for sample in model_inputs]
    return {out: np.concatenate([row[out] for row in rows]) for out in rows[0]}


def _output_scales(model_path):
    interpreter = Interpreter(model_path=model_path)
    runner_outputs = next(iter(interpreter.get_signature_list().values()))["outputs"]
    details = interpreter.get_output_details()
    if len(details) == 1 and len(runner_outputs) == 1:
        return {runner_outputs[0]: details[0].get("quantization", (0.0, 0))}
    by_index = {d["index"]: d for d in details}
    runner = interpreter.get_signature_runner()
    return {name: by_index[d["index"]].get("quantization", (0.0, 0))
            for name, d in runner.get_output_details().items() if d["index"] in by_index}


def _dequantize(scale, zero_point):
    def as_float(array):
        return to_float_output(array, {"quantization": (scale, zero_point)}).astype(np.float64)
    return as_float


def _ops_outside_xnnpack(model_path):
    """The ops XNNPACK leaves to TFLite's kernels, "#index NAME": they run in fp32
    in the emulation, so it says nothing of them."""
    interpreter = make_interpreter(model_path, xnnpack=True)
    partitions = delegated_nodes(interpreter)
    taken = set().union(*partitions.values()) if partitions else set()
    return [f"#{op['index']} {op['op_name']}" for op in interpreter._get_ops_details()
            if op["op_name"] != "DELEGATE" and op["index"] not in taken]


# === Range audit on fp32 intermediates ===


def _range_audit(model_path, input_sets, graph=None):
    """Runs the model in fp32 with every intermediate tensor kept, and finds what fp16
    cannot hold.

    Float tensors are read as they are; int8 ones dequantized, since a GPU
    delegate dequantizes an int8 model's weights and computes in float: what
    it holds is what the int8 tensors stand for.

    Args:
        model_path: the `.tflite` file.
        input_sets: {name: float images `(N, H, W, C)`}.
        graph: its `TFLiteGraph`, when parsed already.

    Returns:
        `(issues, details)`: an `OpIssue` per finding (op index, op name, tensor,
        value, fix), worst first within each rule; details with the largest
        |value| seen and the input sets.
    """
    graph = graph or TFLiteGraph.from_file(model_path)
    interpreter = Interpreter(
        model_path=os.fspath(model_path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    quantization = {d["index"]: d.get("quantization_parameters") or {}
                    for d in interpreter.get_tensor_details()}
    input_details = interpreter.get_input_details()[0]
    producers = {t.index: op for op in graph.ops for t in op.outputs}
    findings = {}  # (rule, op index) -> (value, OpIssue)
    largest = {"value": 0.0, "tensor": None}

    def note(rule, op, value, reason, worse=max):
        key = (rule, op.index)
        if key not in findings or worse(value, findings[key][0]) != findings[key][0]:
            findings[key] = (value, OpIssue(op.index, op.name, reason))

    for set_name, images in input_sets.items():
        for image in images:
            interpreter.set_tensor(input_details["index"],
                                   to_model_input(image[None], input_details))
            interpreter.invoke()
            cache = {}

            def value(tensor, cache=cache):
                if tensor.index not in cache:
                    cache[tensor.index] = _as_float(interpreter.get_tensor(tensor.index),
                                                    quantization.get(tensor.index, {}))
                return cache[tensor.index]

            for op in graph.ops:
                for out in op.outputs:
                    if not _is_number(out):
                        continue
                    peak = float(np.max(np.abs(value(out)))) if out.shape else 0.0
                    if peak > largest["value"]:
                        largest.update(value=peak, tensor=out.name, op=f"#{op.index} {op.name}",
                                       inputs=set_name)
                    if peak > TENSOR_LIMIT:
                        note("tensor", op, peak,
                             f"tensor '{out.name}' reaches {peak:.4g} on the {set_name} "
                             f"(> {TENSOR_LIMIT:g}: fp16 tops out at 65504); fix: {_FIX_TENSOR}")
                if op.name in _REDUCTIONS:
                    _audit_reduction(op, value, set_name, note)
                if op.name == "RSQRT" or op.name == "SQRT":
                    _audit_norm(op, value, producers, set_name, note)
                if op.name in _SQUARES or (op.name == "MUL" and len(op.inputs) == 2
                                           and op.inputs[0] is not None
                                           and op.inputs[0].index == op.inputs[1].index):
                    _audit_square(op, value, set_name, note)
    rules = ("tensor", "reduction", "epsilon", "variance", "square")
    issues = [issue for rule in rules for _, issue in sorted(
        (v for k, v in findings.items() if k[0] == rule), key=lambda item: -abs(item[0]))]
    details = {"input_sets": {name: len(images) for name, images in input_sets.items()},
               "largest_tensor": largest, "tensor_limit": TENSOR_LIMIT,
               "findings": {rule: sum(1 for k in findings if k[0] == rule) for rule in rules}}
    return issues, details


def _is_number(tensor):
    return tensor.dtype in ("FLOAT32", "FLOAT16", "INT8", "UINT8", "INT16")


def _as_float(array, params):
    array = np.asarray(array)
    if array.dtype.kind in "iu":
        scales = np.asarray(params.get("scales", ()), dtype=np.float64)
        if not scales.size:
            return array.astype(np.float64)
        zero_points = np.asarray(params.get("zero_points", ()), dtype=np.float64)
        axis = int(params.get("quantized_dimension", 0))
        if scales.size > 1 and array.ndim:
            shape = [1] * array.ndim
            shape[axis] = -1
            scales, zero_points = scales.reshape(shape), zero_points.reshape(shape)
        return (array.astype(np.float64) - zero_points) * scales
    return array.astype(np.float64)


def _reduced_axes(op, rank):
    axes = op.inputs[1]
    if axes is None or axes.data is None:
        return None
    return tuple(sorted({int(a) % rank for a in np.ravel(axes.data)}))


def _audit_reduction(op, value, set_name, note):
    source = op.inputs[0]
    if source.rank == 0:
        return
    axes = _reduced_axes(op, source.rank)
    if not axes:
        return
    count = int(np.prod([source.shape[a] for a in axes]))
    if count < 2:
        return
    total = float(np.max(np.sum(np.abs(value(source)), axis=axes)))
    if total > FP16_MAX:
        where = ("H·W" if source.rank == 4 and axes == (1, 2) else f"axes {list(axes)}")
        fix = _FIX_SUM if op.name == "SUM" else _FIX_MEAN
        assumption = "" if op.name == "SUM" else f" (assuming {MEAN_ASSUMPTION})"
        note("reduction", op, total,
             f"the fp16 running sum of |'{source.name}'| over {where} ({count} values) reaches "
             f"{total:.4g} on the {set_name} (> 65504: inf/NaN on an fp16 GPU){assumption}; "
             f"fix: {fix}")


def _audit_norm(op, value, producers, set_name, note):
    """A LayerNorm-like RSQRT(variance + epsilon): epsilon must be an fp16 normal, and
    so must their sum."""
    source = op.inputs[0]
    smallest = float(np.min(value(source)))
    producer = producers.get(source.index)
    if producer is not None and producer.name in ("ADD", "MAXIMUM"):
        for operand in producer.present_inputs:
            if operand.is_const:
                constant = value(operand)
                if constant.size == 1 and 0 < float(constant.ravel()[0]) < FP16_SMALLEST_NORMAL:
                    eps = float(constant.ravel()[0])
                    note("epsilon", producer, -eps,
                         f"epsilon {eps:.3g} ('{operand.name}') feeding {op.name} #{op.index} is "
                         f"subnormal in fp16 (smallest normal 6.1e-5): GPUs that flush "
                         f"subnormals drop it; fix: {_FIX_EPSILON}", worse=min)
    if smallest < FP16_SMALLEST_NORMAL:
        note("variance", op, -smallest,
             f"its input '{source.name}' (variance + epsilon) falls to {smallest:.3g} on the "
             f"{set_name}, below fp16's smallest normal 6.1e-5: {op.name} of a flushed or "
             f"subnormal value blows up; fix: {_FIX_EPSILON}", worse=max)


def _audit_square(op, value, set_name, note):
    source = op.inputs[0]
    if op.name == "SQUARED_DIFFERENCE":
        deviation = float(np.max(np.abs(value(op.inputs[0]) - value(op.inputs[1]))))
        what = f"|'{op.inputs[0].name}' - '{op.inputs[1].name}'|"
    else:
        deviation = float(np.max(np.abs(value(source))))
        what = f"|'{source.name}'|"
    if deviation > SQUARE_INPUT_LIMIT:
        note("square", op, deviation,
             f"{what} reaches {deviation:.4g} on the {set_name} (> 256: its square overflows "
             f"fp16's 65504); fix: {_FIX_SQUARE}")
