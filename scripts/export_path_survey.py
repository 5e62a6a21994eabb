"""Export-path survey: segmentation models exported every way a Keras user can
(the package's convert_model, Keras 3's model.export(format="litert"), the plain
TFLiteConverter with a static or a dynamic batch, tfmot QAT with Optimize.DEFAULT),
then checked: no SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND, static GPU rules, a real GPU
accelerator run (SwiftShader; on a subset), XNNPACK delegation and Keras parity.

Writes export_paths.json and export_paths.md into --output. Run it under Keras 3;
the QAT rows run in a child process under tf_keras (tfmot needs it).

Examples:
    python scripts/export_path_survey.py --output /tmp/export_paths
    python scripts/export_path_survey.py --output /tmp/export_paths --heads deeplabv3plus \
        --paths keras_export tflite_dynamic --gpu-run all
"""

import argparse
import functools
import itertools
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_psa.export.conversion.export_paths import EXPORT_PATH_MODES  # noqa: E402
from keras_psa.export.conversion.export_paths import EXPORT_PATHS  # noqa: E402
from keras_psa.export.conversion.export_paths import path_flavor  # noqa: E402

BACKBONES = ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large")
HEADS = ("lraspp", "deeplabv3plus")
ATTENTIONS = ("psa_p", "psa_s", "none")
MODES = ("float32", "float16", "int8")
CHECKS = ("no_space_to_batch", "gpu_static", "gpu_run", "xnnpack", "keras_parity")
GPU_RUNS = ("subset", "all", "none")
# The subset of cells that get the (slow) real GPU run: every path and mode of
# the PSA_s models, both heads and all backbones.
GPU_RUN_SUBSET_ATTENTION = "psa_s"
_WORKER_FILE = "rows_qat.json"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True,
                        help="folder for export_paths.json/.md")
    parser.add_argument("--paths", nargs="+", default=list(EXPORT_PATHS), choices=EXPORT_PATHS,
                        help="export paths (default: all)")
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES), choices=BACKBONES)
    parser.add_argument("--heads", nargs="+", default=list(HEADS), choices=HEADS)
    parser.add_argument("--attentions", nargs="+", default=list(ATTENTIONS), choices=ATTENTIONS)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES,
                        help="quantization modes, each where the path offers it")
    parser.add_argument("--size", type=int, default=64, help="input height and width (64)")
    parser.add_argument("--alpha", type=float, default=0.35, help="backbone width (0.35)")
    parser.add_argument("--head-filters", type=int, default=32, help="head channels (32)")
    parser.add_argument("--gpu-run", default="subset", choices=GPU_RUNS,
                        help=f"real GPU-accelerator run: on the {GPU_RUN_SUBSET_ATTENTION} "
                             "models (subset, default), everywhere or nowhere")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows of an existing survey in --output (its row files, "
                             "or an export_paths.json copied there) and skip them")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size < 32 or args.size % 16:
        parser.error(f"--size must be a multiple of 16, at least 32. Received: {args.size}")
    return args


def cells(args, paths):
    """(backbone, head, attention, path, mode) of every survey cell, attention outermost
    so that a partial run covers every backbone and head."""
    for attention, head, backbone in itertools.product(args.attentions, args.heads,
                                                       args.backbones):
        for path in paths:
            for mode in EXPORT_PATH_MODES[path]:
                if mode in args.modes:
                    yield backbone, head, attention, path, mode


@functools.lru_cache(maxsize=2)
def _build(backbone, head, attention, batch_size, size, alpha, head_filters):
    # One model per batch size serves every path and mode of a survey row:
    # no export path changes the model it is given (QAT quantizes a clone).
    from keras_psa.keras_flavor import keras
    from keras_psa.models import build_segmentation_model

    keras.utils.set_random_seed(0)
    return build_segmentation_model(
        backbone, 3, input_shape=(size, size, 3), head=head,
        attention=None if attention == "none" else attention, alpha=alpha,
        head_filters=head_filters, batch_size=batch_size)


def _builder(args, backbone, head, attention):
    return lambda batch_size: _build(backbone, head, attention, batch_size, args.size,
                                     args.alpha, args.head_filters)


def run_checks(keras_model, tflite_path, *, path, gpu_run):
    from keras_psa import export
    from keras_psa.export.conversion.export_paths import check_no_space_to_batch
    from keras_psa.export.conversion.quantization_mode import GPU_TOLERANCE

    mode = export.infer_quantization_mode(tflite_path)
    checks = {
        "no_space_to_batch": check_no_space_to_batch(tflite_path),
        "gpu_static": export.check_gpu_compatibility(tflite_path),
    }
    xnnpack = export.check_xnnpack_delegation(tflite_path)
    # The all-int8 QAT file is the GPU/NPU file; XNNPACK has no int8 SOFTMAX or
    # RSQRT, and the CPU file is the `qat_xnnpack` row. Shown, not judged.
    checks["xnnpack_info" if path == "qat" else "xnnpack"] = xnnpack
    if gpu_run:
        checks["gpu_run"] = export.run_gpu_accelerator(tflite_path,
                                                       tolerance=GPU_TOLERANCE[mode])
    # A QAT model is compared in int8 steps, as its int8 file rounds it.
    parity = {"int8_steps": 1} if path in ("qat", "qat_xnnpack") else {}
    checks["keras_parity"] = export.check_keras_parity(
        keras_model, tflite_path, pixel_range=(0.0, 255.0), **parity)
    return checks


def survey_rows(args, paths, json_path):
    """Runs the cells of `paths` in this process, appending to `json_path` as it goes."""
    from tqdm import tqdm

    from keras_psa.export.conversion.export_paths import export_by_path

    rows = []
    merged_path = os.path.join(args.output, "export_paths.json")
    if args.resume and os.path.isfile(json_path):
        with open(json_path) as f:
            rows = json.load(f)
    elif args.resume and os.path.isfile(merged_path):
        # A folder seeded with a finished survey's table (e.g. docs/export_paths.json).
        with open(merged_path) as f:
            rows = [r for r in json.load(f) if r["path"] in paths]
    done = {(r["backbone"], r["head"], r["attention"], r["path"], r["mode"]) for r in rows}
    todo = [cell for cell in cells(args, paths) if cell not in done]
    with tempfile.TemporaryDirectory(prefix="keras_psa_export_paths_") as tmp:
        for backbone, head, attention, path, mode in tqdm(todo, desc="export paths"):
            row = {"backbone": backbone, "head": head, "attention": attention,
                   "path": path, "mode": mode}
            tflite_path = os.path.join(tmp, "model.tflite")
            gpu_run = args.gpu_run == "all" or (
                args.gpu_run == "subset" and attention == GPU_RUN_SUBSET_ATTENTION)
            try:
                keras_model = export_by_path(_builder(args, backbone, head, attention), path,
                                             mode, tflite_path)
                row["checks"] = {name: check.to_dict() for name, check in run_checks(
                    keras_model, tflite_path, path=path, gpu_run=gpu_run).items()}
            except Exception as error:  # a failed export is a survey result too
                row["checks"] = {}
                row["error"] = f"{type(error).__name__}: {error}"[:500]
            rows.append(row)
            _write_rows(rows, json_path)
    _write_rows(rows, json_path)  # also when every cell was already done
    return rows


def _write_rows(rows, json_path):
    with open(json_path, "w") as f:
        json.dump(rows, f, indent=1, default=str)


def _run_tf_keras_worker(args, paths):
    """The tf_keras paths (QAT) in a child process: a process runs one Keras flavor."""
    argv = [sys.executable, os.path.abspath(__file__), "--worker", "--output", args.output,
            "--paths", *paths, "--backbones", *args.backbones, "--heads", *args.heads,
            "--attentions", *args.attentions, "--modes", *args.modes,
            "--size", str(args.size), "--alpha", str(args.alpha),
            "--head-filters", str(args.head_filters), "--gpu-run", args.gpu_run]
    if args.resume:
        argv.append("--resume")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    subprocess.run(argv, env=env, check=True)
    with open(os.path.join(args.output, _WORKER_FILE)) as f:
        return json.load(f)


def _cell(name, check, row=None):
    if check is None:
        info = (row or {}).get("checks", {}).get("xnnpack_info") if name == "xnnpack" else None
        if info is not None:
            details = info.get("details", {})
            return (f"GPU/NPU file: {details['num_delegated']}/{details['num_ops']}, "
                    "CPU file is qat_xnnpack")
        return "-"
    mark = {"passed": "ok", "failed": "FAIL", "unavailable": "n/a"}[check["status"]]
    details = check.get("details", {})
    if check["name"] == "no_space_to_batch":
        return f"{mark} ({details['num_dilated_convolutions']} dilated)"
    if check["name"] == "keras_parity":
        if details.get("share_within_int8_steps") is not None:
            return f"{mark} {details['share_within_int8_steps']:.1%} in 1 step"
        return f"{mark} {max(details['relative_error']):.1e}"
    if check["name"] == "gpu_run" and details.get("relative_error"):
        return f"{mark} {max(details['relative_error'].values()):.1e}"
    if check["name"] == "xnnpack":
        text = f"{mark} {details['num_delegated']}/{details['num_ops']}"
        if check["status"] == "failed":
            left = sorted({issue["op_name"] for issue in check.get("issues", [])})
            text += f" (left: {', '.join(left)})"
        return text
    return mark


def summary_lines(rows):
    """One line per (path, mode): models, check statuses, errors, SPACE_TO_BATCH ops."""
    lines = []
    for path, mode in dict.fromkeys((r["path"], r["mode"]) for r in rows):
        group = [r for r in rows if (r["path"], r["mode"]) == (path, mode)]
        statuses = {}
        for row in group:
            for name, check in row["checks"].items():
                if name in CHECKS:
                    statuses[check["status"]] = statuses.get(check["status"], 0) + 1
        space_to_batch = sum(r["checks"]["no_space_to_batch"]["details"]["num_space_to_batch"]
                             for r in group if "no_space_to_batch" in r["checks"])
        lines.append(f"- {path} {mode}: {len(group)} models; check statuses {statuses}; "
                     f"errors {sum('error' in r for r in group)}; "
                     f"SPACE_TO_BATCH/BATCH_TO_SPACE ops {space_to_batch}")
    return "\n".join(lines) + "\n"


def write_table(rows, folder):
    lines = ["| backbone | head | attention | path | mode | " + " | ".join(CHECKS) + " |",
             "|---|---|---|---|---|" + "---|" * len(CHECKS)]
    for row in rows:
        if "error" in row:
            cells_ = [f"ERROR: {row['error'][:120]}"] + [""] * (len(CHECKS) - 1)
        else:
            cells_ = [_cell(name, row["checks"].get(name), row) for name in CHECKS]
        lines.append(f"| {row['backbone']} | {row['head']} | {row['attention']} | "
                     f"{row['path']} | {row['mode']} | " + " | ".join(cells_) + " |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(folder, "export_paths.md"), "w") as f:
        f.write("# Export-path survey\n\nno_space_to_batch: dilated convolutions in the file; "
                "gpu_run: relative error GPU vs CPU; keras_parity: relative error Keras vs "
                "TFLite (XNNPACK), or share of int8 outputs within one step of the QAT model; "
                "xnnpack: ops taken in one partition.\n\n" + summary_lines(rows) + "\n" + table)
    with open(os.path.join(folder, "export_paths.json"), "w") as f:
        json.dump(rows, f, indent=1, default=str)
    return table


def _failed(row):
    return "error" in row or any(c["status"] != "passed" for name, c in row["checks"].items()
                                 if name in CHECKS)


def main(argv=None):
    args = parse_args(argv)
    from keras_psa.keras_flavor import USING_TF_KERAS

    os.makedirs(args.output, exist_ok=True)
    tf_keras_paths = [p for p in args.paths if path_flavor(p) == "tf_keras"]
    own_paths = [p for p in args.paths if p not in tf_keras_paths]
    if args.worker:
        survey_rows(args, args.paths, os.path.join(args.output, _WORKER_FILE))
        return 0
    if USING_TF_KERAS:
        print("error: run the survey under Keras 3 (unset TF_USE_LEGACY_KERAS); "
              "it starts the tf_keras process of the QAT rows itself", file=sys.stderr)
        return 2
    rows = survey_rows(args, own_paths, os.path.join(args.output, "rows_keras3.json"))
    if tf_keras_paths:
        rows += _run_tf_keras_worker(args, tf_keras_paths)
    # Cells re-run with --resume land at the end of their file: back in grid order.
    rows.sort(key=lambda r: (ATTENTIONS.index(r["attention"]), HEADS.index(r["head"]),
                             BACKBONES.index(r["backbone"]), EXPORT_PATHS.index(r["path"]),
                             MODES.index(r["mode"])))
    print(write_table(rows, args.output))
    return 1 if any(_failed(row) for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
