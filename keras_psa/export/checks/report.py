"""JSON + Markdown report written beside a `.tflite` file."""

import json
import os

from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.export.checks.op_issue import distinct_issues
from keras_psa.export.metadata.tflite_metadata import read_metadata
from keras_psa.export.tflite.model_inspection import inspect_model


def report_paths(tflite_path):
    stem = os.path.splitext(os.fspath(tflite_path))[0]
    return stem + ".report.json", stem + ".report.md"


def build_report(tflite_path, checks=(), conversion=None):
    """Returns the report as a dict: model facts, conversion settings, checks."""
    try:
        metadata = read_metadata(tflite_path)
    except ValueError as error:  # reported, not fatal: the checks still run
        metadata = None
        metadata_error = str(error)
    else:
        metadata_error = None
    return {
        "model": os.path.basename(os.fspath(tflite_path)),
        "inspection": inspect_model(tflite_path),
        "metadata": (metadata.to_dict() if metadata is not None
                     else {"error": metadata_error} if metadata_error else None),
        "conversion": conversion or {},
        "checks": [check.to_dict() for check in checks],
        "passed": all(check.passed for check in checks),
    }


def _markdown(report):
    info = report["inspection"]
    lines = [f"# {report['model']}", ""]
    lines += [f"- size: {info['size_bytes']:,} bytes",
              f"- quantization: {info['quantization']}",
              f"- inputs: {info['inputs']}", f"- outputs: {info['outputs']}"]
    for key, value in report["conversion"].items():
        lines.append(f"- {key}: {value}")
    lines += _metadata_markdown(report.get("metadata"))
    lines += ["", "## Checks", "", "| check | status | result |", "|---|---|---|"]
    for check in report["checks"]:
        lines.append(f"| {check['name']} | {check['status']} | {check['message']} |")
    if any(check["name"] == "gpu_run" for check in report["checks"]):
        lines += ["", "gpu_run computes in fp32 on SwiftShader (no shaderFloat16); phone GPUs "
                      "compute in fp16 by default: see gpu_fp16 (keras-psa-check --gpu-fp16)."]
    for check in report["checks"]:
        if check["issues"]:
            lines += ["", f"### {check['name']}: offending ops", ""]
            lines += [f"- {line}" for line in distinct_issues(check["issues"])]
    lines += ["", "## Op histogram", "", "| op | count |", "|---|---|"]
    lines += [f"| {op} | {n} |" for op, n in info["op_histogram"].items()]
    lines += ["", "## Tensor dtypes", "", "| dtype | tensors |", "|---|---|"]
    lines += [f"| {dtype} | {n} |" for dtype, n in info["tensor_dtypes"].items()]
    return "\n".join(lines) + "\n"


def _metadata_markdown(metadata):
    if metadata is None:
        return ["", "## Model metadata", "",
                "none (MediaPipe Tasks needs it: convert with labels, see docs/mediapipe.md)"]
    lines = ["", "## Model metadata", "", "| field | value |", "|---|---|"]
    for key in ("name", "version", "description", "input_color_space", "normalization",
                "input_stats", "output_name", "labels", "output_activation",
                "associated_files", "min_parser_version"):
        lines.append(f"| {key} | {metadata.get(key)} |")
    return lines


def write_report(tflite_path, checks=(), conversion=None):
    """Writes `<stem>.report.json` and `<stem>.report.md`; returns their paths."""
    report = build_report(tflite_path, checks, conversion)
    json_path, md_path = report_paths(tflite_path)
    write_bytes_atomically(json_path, json.dumps(report, indent=2, default=str).encode())
    write_bytes_atomically(md_path, _markdown(report).encode())
    return json_path, md_path
