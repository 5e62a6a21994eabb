"""Runs a `.tflite` file in a web page (LiteRT.js in headless Chromium) and compares it
with the same file on Python LiteRT's CPU.

LiteRT.js' own model tester compares its two backends with each other, never with the
Python runtime; its known bugs (WebGPU outputs that differ from wasm) are what this
check is for. It runs on wasm (XNNPACK compiled to WebAssembly) and, where Chromium
gives an adapter, on WebGPU (SwiftShader on a machine without a GPU: fp32
arithmetic), on the same inputs, judged by the rules every check reads
(`task_criteria.AGREEMENT`).
"""

import os
import re

import numpy as np

from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import NOT_JUDGED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import UNAVAILABLE
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.error_measures import relative_error
from keras_psa.export.checks.gpu_accelerator import default_inputs
from keras_psa.export.checks.gpu_compatibility import check_gpu_compatibility
from keras_psa.export.checks.op_issue import distinct_issues
from keras_psa.export.checks.task_criteria import combine
from keras_psa.export.checks.task_criteria import figures_by_name
from keras_psa.export.checks.task_criteria import judge_output
from keras_psa.export.checks.task_criteria import task_figures
from keras_psa.export.checks.xnnpack_delegation import check_xnnpack_delegation
from keras_psa.export.conversion.quantization_mode import GPU_TOLERANCE
from keras_psa.export.conversion.quantization_mode import infer_quantization_mode
from keras_psa.export.tflite.latency import measure_latency
from keras_psa.export.tflite.litert_runner import make_interpreter
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.export.tflite.quantized_io import to_float_output
from keras_psa.export.tflite.quantized_io import to_model_input
from keras_psa.export.tflite.tflite_graph import TFLiteGraph

# LiteRT.js' tensors in JavaScript (2.5.3): a file with other I/O types cannot be opened.
WEB_DTYPES = ("FLOAT32", "INT32", "UINT8")
_UNSUPPORTED_TYPE = re.compile(r"Element type \w+ is not supported")
WEB_VARIANT = ("the web variant of an int8 file has float32 input and output (int8 inside): "
               "keras-psa-convert MODEL --quantization int8 without --int8-io, or the QAT "
               "run's *_xnnpack.tflite")
# Messages of LiteRT.js' wasm that are not about the file: it looks for NPU plugins.
_BENIGN = ("NPU accelerator could not be loaded",)


def web_io_problems(graph):
    """The inputs and outputs LiteRT.js cannot hand to JavaScript, as "name: DTYPE"."""
    return [f"{kind} `{t.name}`: {t.dtype}" for kind, tensors in
            (("input", graph.inputs), ("output", graph.outputs))
            for t in tensors if t.dtype not in WEB_DTYPES]


def console_warnings(console):
    """The page's warnings and errors, once each, without LiteRT's INFO lines."""
    found = []
    for message in console:
        text = message["text"].strip()
        if message["type"] not in ("warning", "error") or text.startswith("INFO"):
            continue
        if any(benign in text for benign in _BENIGN) or text in found:
            continue
        found.append(text)
    return found


def _python_outputs(model_path, images, threads, xnnpack=True):
    """The file on Python LiteRT's CPU (XNNPACK, or its builtin kernels), one run per float
    image (quantized for a quantized input), by output name, dequantized to float32."""
    interpreter = make_interpreter(model_path, num_threads=threads, xnnpack=xnnpack)
    runner = interpreter.get_signature_runner()
    ((name, details),) = runner.get_input_details().items()
    outputs = runner.get_output_details()
    runs = [runner(**{name: to_model_input(image[None], details)}) for image in images]
    return {key: np.concatenate([to_float_output(run[key], outputs[key]) for run in runs])
            for key in runs[0]}


def _fallback_ops(model_path, accelerator):
    """What the same engine's Python check names: XNNPACK's for wasm (LiteRT.js' CPU is
    XNNPACK), the GPU delegate's static rules for WebGPU."""
    check = (check_xnnpack_delegation(model_path) if accelerator == "wasm"
             else check_gpu_compatibility(model_path))
    return distinct_issues(check.issues)


def run_browser(model_path, *, images=None, pixel_range=(0.0, 1.0), accelerators=("wasm", "webgpu"),
                tolerance=None, threads=1, warmup=3, repeats=20, reference_path=None, tools=None,
                timeout=180):
    """Runs `model_path` on LiteRT.js (wasm and WebGPU) in headless Chromium and compares
    each with the file on Python LiteRT's CPU.

    Args:
        model_path: a `.tflite` file with float32 (or uint8) input and float32 output
            (LiteRT.js has no int8 tensors in JavaScript).
        images: real images `(N, H, W, C)` in the model's range; default one random
            image in `pixel_range` (an int8 file's labels are then "not judged").
        pixel_range: range of the random default input.
        accelerators: `"wasm"` and/or `"webgpu"` (run where Chromium gives an adapter).
        tolerance: largest relative error for float files (default: the mode's
            `GPU_TOLERANCE`: another engine computing the same file).
        threads: CPU threads of both runtimes (above 1: LiteRT.js' threaded build).
        warmup, repeats: runs before and within the latency samples, on each side.
        reference_path: the file whose outputs on Python LiteRT's CPU are the
            reference (default: `model_path` itself); e.g. the int8-I/O file a phone
            ships, beside its web variant. Its outputs must have the same names and shapes.
        tools: `keras_psa.web.WebTools` (default: found on this machine).
        timeout: seconds for the page.

    Returns:
        A `CheckResult` named `"browser_run"`: `"passed"` when every accelerator that
        ran does the task as Python LiteRT does (`task_criteria.AGREEMENT`; float files
        also within `tolerance`), `"failed"` when one does not or a file it should open
        fails, `"not judged"` for an int8 file on random inputs, `"unavailable"` when
        Node, its packages or Chromium is missing, or LiteRT.js cannot open the file
        (int8 input or output). Its details hold per accelerator: fully accelerated or
        the ops that fell back, the console's warnings, max errors, median latency
        beside Python LiteRT's.
    """
    from keras_psa.web import WebSetupError
    from keras_psa.web.litert_js_run import INPUT_DTYPES
    from keras_psa.web.litert_js_run import run_litert_js

    model_path = os.path.abspath(os.fspath(model_path))
    graph = TFLiteGraph.from_file(model_path)  # fails early and clearly on a bad file
    real_inputs = images is not None
    if images is None:
        images = next(iter(default_inputs(model_path, pixel_range=pixel_range).values()))
    images = np.asarray(images, np.float32)
    io_problems = web_io_problems(graph)
    try:
        (input_details,) = make_interpreter(model_path).get_input_details()
        inputs = to_model_input(images, input_details)
        if inputs.dtype.name not in INPUT_DTYPES:  # the page then says why it cannot open it
            inputs = images
        found = run_litert_js(model_path, inputs, accelerators=accelerators, threads=threads,
                              warmup=warmup, repeats=repeats, tools=tools, timeout=timeout)
    except WebSetupError as error:
        return CheckResult("browser_run", UNAVAILABLE, message=str(error))
    except RuntimeError as error:  # the driver or Chromium crashed, or timed out
        return CheckResult("browser_run", FAILED, message=str(error))
    page, runs = found["page"], found["runs"]
    details = {"litert_js": page["litert_js"], "adapter": page["adapter"],
               "cross_origin_isolated": page["cross_origin_isolated"],
               "relaxed_simd": page["relaxed_simd"], "threads": threads,
               "console_warnings": console_warnings(page["console"]),
               "page_errors": page["page_errors"], "io_problems": io_problems,
               "inputs": "given images" if real_inputs else "random inputs",
               "accelerators": {}}
    if page["failure"]:
        details["failure"] = page["failure"]
        return CheckResult("browser_run", FAILED, details=details,
                           message=f"the page failed: {page['failure']}")
    errors = {name: run.get("error") for name, run in runs.items() if run.get("error")}
    if errors and len(errors) == len(runs) and all(
            _UNSUPPORTED_TYPE.search(text) for text in errors.values()):
        return CheckResult("browser_run", UNAVAILABLE, details={**details, "errors": errors},
                           message=f"LiteRT.js {page['litert_js']} cannot open this file: "
                                   f"{next(iter(errors.values()))} ({'; '.join(io_problems)}); "
                                   + WEB_VARIANT)
    kind = output_kind(model_path)
    mode = infer_quantization_mode(graph)
    tolerance = tolerance or GPU_TOLERANCE[mode]
    input_size = tuple(int(d) for d in images.shape[1:3])
    expected = _python_outputs(os.fspath(reference_path or model_path), images, threads)
    # The floor: the reference on TFLite's builtin kernels, the other trusted CPU backend.
    builtin = _python_outputs(os.fspath(reference_path or model_path), images, threads,
                              xnnpack=False)
    python_ms = measure_latency([model_path], num_threads=threads, warmup=warmup,
                                runs=repeats)[model_path]["median_ms"]
    details.update(python_median_ms=python_ms, output_kind=kind, tolerance=tolerance)
    statuses, parts = [], []
    for name, run in runs.items():
        status, found_ = _judge(model_path, name, run, expected, builtin, kind, mode,
                                tolerance, real_inputs, input_size)
        details["accelerators"][name] = found_
        statuses.append(status)
        parts.append(f"{name}: {found_['summary']}")
    status = (FAILED if FAILED in statuses else NOT_JUDGED if NOT_JUDGED in statuses
              else PASSED if PASSED in statuses else UNAVAILABLE)
    message = (f"LiteRT.js {page['litert_js']} vs Python LiteRT CPU "
               f"({python_ms:.3g} ms median, {threads} thread{'s' if threads > 1 else ''}): "
               + " | ".join(parts))
    return CheckResult("browser_run", status, details=details, message=message)


def _judge(model_path, name, run, expected, builtin, kind, mode, tolerance, real_inputs,
           input_size):
    """`(status, facts)` of one accelerator's run against Python LiteRT's outputs, by the
    one rule (`task_criteria.judge_output`) beside the floor of the builtin kernels."""
    if run.get("unavailable"):
        return UNAVAILABLE, {"status": UNAVAILABLE, "summary": f"not run ({run['unavailable']})"}
    if run.get("error"):
        return FAILED, {"status": FAILED, "error": run["error"],
                        "summary": f"failed: {run['error']}"}
    facts = {"fully_accelerated": bool(run["fully_accelerated"]),
             "fallback_ops": [] if run["fully_accelerated"] else _fallback_ops(model_path, name),
             "median_run_ms": float(np.median(run["run_ms"])),
             "median_total_ms": float(np.median(run["total_ms"]))}
    verdicts, figures, floors = [], {}, {}
    for output, actual in run["outputs"].items():
        if output not in expected or expected[output].shape != actual.shape:
            raise ValueError(f"`reference_path` must have the outputs of the file checked: "
                             f"{output} {actual.shape}. Received: "
                             f"{ {k: v.shape for k, v in expected.items()} }")
        reference = expected[output]
        figures[output] = task_figures(kind, actual, reference, input_size)
        floors[output] = task_figures(kind, builtin[output], reference, input_size)
        facts.setdefault("max_abs_error", {})[output] = float(np.max(np.abs(actual - reference)))
        facts.setdefault("relative_error", {})[output] = relative_error(actual, reference)
        status, text = judge_output(kind, figures[output], real_inputs=real_inputs,
                                    quantized=mode == "int8", floor_figures=floors[output],
                                    floor_text="builtin kernels vs XNNPACK",
                                    error=facts["relative_error"][output], tolerance=tolerance)
        verdicts.append((status, f"{output}: {text}"))
    facts["builtin_vs_xnnpack_figures"] = floors
    status, texts = combine(verdicts)
    facts.update(task_figures=figures, **figures_by_name(figures))
    accelerated = ("fully accelerated" if facts["fully_accelerated"] else
                   "not fully accelerated (" + ("; ".join(facts["fallback_ops"]) or "ops unnamed")
                   + ")")
    errors = max(facts["max_abs_error"].values())
    facts["status"] = status
    facts["summary"] = (f"{status}, {accelerated}; " + "; ".join(texts)
                        + f"; max abs error {errors:.3g}; median {facts['median_total_ms']:.3g} ms "
                        f"(run {facts['median_run_ms']:.3g} ms)")
    return status, facts
