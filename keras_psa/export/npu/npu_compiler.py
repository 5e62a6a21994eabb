"""Ahead-of-time compilation of a `.tflite` for NPUs with LiteRT's vendor plugins.

Wraps `ai_edge_litert.aot.aot_compile`: one compilation per target, so that
each gets its own time, status and error. The compiler replaces each
partition it takes with a DISPATCH_OP custom op holding the vendor's
bytecode; every other op of the compiled model is left to the CPU.
"""

import contextlib
import io
import os
import re
import shutil
import tempfile
import time

from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import NOT_JUDGED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import UNAVAILABLE
from keras_psa.export.npu.compiled_model_run import image_inputs
from keras_psa.export.npu.compiled_model_run import run_compiled_model
from keras_psa.export.npu.npu_compile_report import NpuCompileReport
from keras_psa.export.npu.npu_compile_result import NpuCompileResult
from keras_psa.export.npu.npu_target import parse_targets
from keras_psa.export.npu.vendor_sdk import vendor_sdk
from keras_psa.export.tflite.tflite_graph import TFLiteGraph
from keras_psa.export.tflite.tflite_graph import operator_name

DISPATCH_OP = "DISPATCH_OP"
INTEL_OPENVINO_DEVICES = ("npu", "cpu", "gpu")

_ERROR_LOG = re.compile(r"See (\S+\.error) for details")
_MISSING_LIBRARY = (
    re.compile(r"(lib[\w.+-]+\.so[\w.]*): cannot open shared object file"),
    re.compile(r"(lib[\w.+-]+\.so[\w.]*) not found"),
)
_UNDEFINED_SYMBOL = re.compile(r"undefined symbol: (\S+?)\.?$", re.M)
_LOG_KEEP = ("ERROR", "Could not load", "cannot open", "not found", "undefined symbol",
             "Exception", "Failed")


def _compiled_ops(model_bytes):
    """Per subgraph, the op names of a compiled model."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model_bytes, 0))
    return [[operator_name(model, op) for op in (subgraph.operators or [])]
            for subgraph in model.subgraphs]


def _read_error_log(message):
    """The compiler's log named in `message`; the file is removed once read."""
    match = _ERROR_LOG.search(message)
    if not match or not os.path.isfile(match.group(1)):
        return ""
    path = match.group(1)
    with open(path, encoding="utf-8", errors="replace") as f:
        log = f.read()
    # aot_compile leaves it in the temp folder; the relevant lines go into the report.
    os.remove(path)
    return log


def _key_lines(log, limit=12):
    lines = []
    for line in log.splitlines():
        line = line.strip(" └")
        if line and any(key in line for key in _LOG_KEEP) and line not in lines:
            lines.append(line)
    return lines[:limit]


def _classify_failure(target, message, log):
    """Returns (status, message, details) for a target the compiler gave up on."""
    sdk = vendor_sdk(target.vendor)
    # The log file the message points to is gone by now: its lines are kept below.
    message = _ERROR_LOG.sub("(compiler log below)", message)
    details = {"sdk": sdk.sdk, "sdk_package": sdk.package, "compiler_error": message,
               "compiler_log": _key_lines(log)}
    missing = next((m.group(1) for pattern in _MISSING_LIBRARY
                    for m in [pattern.search(log)] if m), None)
    symbol = _UNDEFINED_SYMBOL.search(log)
    if missing or symbol or "Failed to load plugin" in log:
        what = (f"{missing} not found" if missing else
                f"its plugin has an undefined symbol {symbol.group(1)}" if symbol else
                "its compiler plugin failed to load")
        details["missing"] = missing or (symbol.group(1) if symbol else None)
        package = f" (package {sdk.package})" if sdk.package else ""
        return UNAVAILABLE, (f"cannot compile for {target.spec} here: {what}; it needs "
                             f"{sdk.sdk}{package}. Provide it with {sdk.provide}."), details
    first = details["compiler_log"][0] if details["compiler_log"] else message
    return FAILED, f"the {target.vendor} compiler rejected the model: {first}", details


def _offload_stats(partition_stats, compiled_ops):
    subgraphs = [{"subgraph": s.subgraph_index, "ops_offloaded": s.num_ops_offloaded,
                  "ops_total": s.num_total_ops, "partitions": s.num_partitions_offloaded}
                 for s in (partition_stats.subgraph_stats if partition_stats else [])]
    ops_on_cpu = [{"subgraph": i, "index": j, "name": name}
                  for i, names in enumerate(compiled_ops)
                  for j, name in enumerate(names) if name != DISPATCH_OP]
    return subgraphs, ops_on_cpu


def _validate(model_path, output_dir, intel_openvino_device, vendor_options):
    model_path = os.fspath(model_path)
    if not os.path.isfile(model_path):
        raise ValueError(f"`model_path` must be an existing .tflite file. "
                         f"Received: model_path={model_path}")
    graph = TFLiteGraph.from_file(model_path)  # a clear error for a corrupt file
    if output_dir is not None and os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ValueError(f"`output_dir` must be a folder (or not exist yet). "
                         f"Received: output_dir={output_dir}, an existing file")
    if intel_openvino_device not in INTEL_OPENVINO_DEVICES:
        raise ValueError(f"`intel_openvino_device` must be one of {INTEL_OPENVINO_DEVICES}. "
                         f"Received: intel_openvino_device={intel_openvino_device!r}")
    if not isinstance(vendor_options, dict) or not all(isinstance(k, str)
                                                       for k in vendor_options):
        raise TypeError(f"`vendor_options` must be a dict from flag name to value. "
                        f"Received: vendor_options={vendor_options!r}")
    return graph


def _compile_one(model_path, target, work_dir, options):
    from ai_edge_litert.aot import aot_compile as aot_lib

    # aot_compile prints progress bars and a line per failure; keep them out of
    # the caller's output (the report says the same).
    sink = io.StringIO()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            result = aot_lib.aot_compile(model_path, output_dir=work_dir,
                                         target=target.litert_target(), keep_going=True,
                                         **options)
    except FileNotFoundError as error:  # no apply_plugin binary for this platform
        seconds = time.perf_counter() - start
        return None, seconds, (UNAVAILABLE, f"cannot compile for {target.spec} here: {error}",
                               {"compiler_error": str(error)})
    seconds = time.perf_counter() - start
    if result.models_with_backend:
        _, model = result.models_with_backend[0]
        return model, seconds, None
    message = result.failed_backends[0][1] if result.failed_backends else sink.getvalue()
    return None, seconds, _classify_failure(target, message, _read_error_log(message))


def compile_for_npu(model_path, targets, *, output_dir=None, intel_openvino_device="npu",
                    vendor_options=None, run=True, num_inputs=2, pixel_range=(0.0, 255.0),
                    seed=0, images=None):
    """Compiles a `.tflite` ahead of time for NPU SoCs and reports what each took.

    Args:
        model_path: the `.tflite` file (best all-int8: NPUs run integer ops).
        targets: `"VENDOR:SOC"` string(s); VENDOR is a module under
            `ai_edge_litert.aot.vendors` (qualcomm, mediatek, google_tensor,
            intel_openvino, samsung), SOC one of its `SocModel` names, or `all`.
        output_dir: where to write the compiled models,
            `<stem>_<TargetId>.tflite` (atomically); None keeps none.
        intel_openvino_device: OpenVINO device the Intel plugin compiles the
            partitions for: `"npu"` (needs OpenVINO's NPU compiler library),
            `"cpu"` or `"gpu"`. Which ops are offloaded does not depend on it.
            Defaults to `"npu"`.
        vendor_options: further flags passed to the vendor plugin, e.g.
            `{"qualcomm_use_htp_preference": True}`.
        run: run each compiled model that can run on this machine through
            `CompiledModel` (NPU, CPU for ops left out) and compare it with the
            source model on the CPU interpreter.
        num_inputs, pixel_range, seed: the random inputs of that run.
        images: real images `(N, H, W, C)` in the range the model takes, to run
            instead of random ones (a trained int8 model fed noise runs outside
            the ranges it was calibrated for: without images, the run's labels
            or keypoints are "not judged"; the rules: `task_criteria`).

    Returns:
        An `NpuCompileReport` with one `NpuCompileResult` per target.

    Raises:
        ValueError: for a missing or corrupt file, an unknown vendor or SoC,
            or a bad option; nothing is written then.

    Example:

    ```python
    report = compile_for_npu("model_int8.tflite", ["intel_openvino:LNL"],
                             output_dir="npu", intel_openvino_device="cpu")
    print(report.summary())
    ```
    """
    vendor_options = {} if vendor_options is None else vendor_options
    graph = _validate(model_path, output_dir, intel_openvino_device, vendor_options)
    parsed = parse_targets(targets)
    model_path = os.path.abspath(os.fspath(model_path))
    stem = os.path.splitext(os.path.basename(model_path))[0]
    inputs = image_inputs(model_path, images) if images is not None and run else None
    report = NpuCompileReport(model=model_path, model_size_bytes=graph.size_bytes,
                              op_histogram=graph.op_histogram())
    for target in parsed:
        options = dict(vendor_options)
        details = {}
        if target.vendor == "intel_openvino":
            options.setdefault("intel_openvino_graph_backends", intel_openvino_device)
            details["intel_openvino_device"] = options["intel_openvino_graph_backends"]
        work_dir = tempfile.mkdtemp(prefix="keras_psa_npu_")
        try:
            report.results.append(_compile_target(
                model_path, target, work_dir, options, details,
                output_dir=output_dir, stem=stem, run=run,
                run_kwargs=dict(inputs=inputs, num_inputs=num_inputs, pixel_range=pixel_range,
                                seed=seed, real_inputs=inputs is not None)))
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
    return report


def _compile_target(model_path, target, work_dir, options, details, *, output_dir, stem, run,
                    run_kwargs):
    model, seconds, failure = _compile_one(model_path, target, work_dir, options)
    if failure is not None:
        status, message, more = failure
        return NpuCompileResult(target.spec, status, message, compile_seconds=round(seconds, 3),
                                details={**details, **more})
    compiled_bytes = model.path.read_bytes() if not model.in_memory else model.model_bytes
    subgraphs, ops_on_cpu = _offload_stats(model.partition_stats, _compiled_ops(compiled_bytes))
    compiled_path = None
    if output_dir is not None:
        compiled_path = write_bytes_atomically(
            os.path.join(output_dir, f"{stem}_{target.target_id}.tflite"), compiled_bytes)
    result = NpuCompileResult(target.spec, PASSED, subgraphs=subgraphs, ops_on_cpu=ops_on_cpu,
                              compiled_path=compiled_path,
                              compiled_size_bytes=len(compiled_bytes),
                              compile_seconds=round(seconds, 3), details=details)
    offloaded = f"{result.ops_offloaded} / {result.ops_total} ops offloaded to " \
                f"{result.partitions} partition(s)"
    problems = []
    if ops_on_cpu:
        names = ", ".join(sorted({op["name"] for op in ops_on_cpu}))
        problems.append(f"{len(ops_on_cpu)} op(s) left on the CPU: {names}")
    if run and vendor_sdk(target.vendor).runs_here:
        path = compiled_path or os.path.join(work_dir, "compiled.tflite")
        if compiled_path is None:
            write_bytes_atomically(path, compiled_bytes)
        result.run = run_compiled_model(model_path, path, **run_kwargs)
        if result.run.status == FAILED:
            problems.append(f"run through CompiledModel: {result.run.message}")
        elif result.run.status == NOT_JUDGED and not problems:
            result.status = NOT_JUDGED
    elif run:
        details["run"] = (f"not run: the {target.vendor} dispatch library runs on the device "
                          "only, not on this host")
    if problems:
        result.status = FAILED
    parts = [offloaded] + problems
    if result.run is not None and result.run.status in (PASSED, NOT_JUDGED):
        parts.append(result.run.message)
    result.message = "; ".join(parts)
    return result
