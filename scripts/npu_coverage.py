"""NPU op coverage of the all-int8 QAT segmenters: MobileNetV2, V3-Small, V3-Large x PSA_p, PSA_s.

Builds each model (trained-like BatchNorm statistics, tfmot QAT with ranges
calibrated on random images, optional QAT steps), converts it with
Optimize.DEFAULT to an all-int8 .tflite, compiles it with
`keras_psa.export.compile_for_npu` for the targets and runs the compiled model
through CompiledModel where that is possible here. Prints the Markdown table of
docs/npu_compilation.md, or the reports as JSON (--json).

python scripts/npu_coverage.py --output-dir runs/npu --target intel_openvino:LNL \\
    --intel-openvino-device cpu [--size 64] [--alpha 0.35] [--models mobilenet_v2:psa_p ...]
"""

import argparse
import json
import os
import sys

# tfmot needs tf_keras; set before TensorFlow is imported.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_psa.export import compile_for_npu  # noqa: E402
from keras_psa.keras_flavor import keras  # noqa: E402
from keras_psa.models import build_segmentation_model  # noqa: E402
from keras_psa.models import set_batch_norm_statistics  # noqa: E402
from keras_psa.quantization import calibrate_quantization_ranges  # noqa: E402
from keras_psa.quantization import quantize_model  # noqa: E402

MODELS = tuple(f"{backbone}:{attention}"
               for backbone in ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large")
               for attention in ("psa_p", "psa_s"))


def write_qat_int8_file(spec, path, *, size=64, alpha=0.35, head_filters=16, qat_steps=1,
                        num_images=4):
    """Writes the all-int8 .tflite of a QAT copy of `spec` ("BACKBONE:ATTENTION")."""
    backbone, attention = spec.split(":")
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).uniform(0, 255, (num_images, size, size, 3))
    images = images.astype("float32")
    model = build_segmentation_model(backbone, 3, input_shape=(size, size, 3),
                                     attention=attention, alpha=alpha,
                                     head_filters=head_filters, batch_size=1)
    # Untrained networks have vanishing activations (all-zero int8 outputs, which
    # would agree trivially); trained-like statistics and ranges avoid that.
    set_batch_norm_statistics(model, images)
    qat_model = quantize_model(model)
    calibrate_quantization_ranges(qat_model, images)
    if qat_steps:
        qat_model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
        qat_model.fit(images, np.asarray(model(images)), batch_size=1, epochs=1,
                      steps_per_epoch=qat_steps, verbose=0)
    converter = tf.lite.TFLiteConverter.from_keras_model(qat_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with open(path, "wb") as f:
        f.write(converter.convert())
    return path


def markdown_row(spec, report):
    cells = []
    for result in report.results:
        if not result.subgraphs:
            cells.append(result.status)
            continue
        on_cpu = ", ".join(sorted({op["name"] for op in result.ops_on_cpu}))
        cell = f"{result.ops_offloaded}/{result.ops_total} ops, {result.partitions} partition(s)"
        if on_cpu:
            cell += f"; on CPU: {on_cpu}"
        run = result.run.details if result.run is not None else {}
        if run.get("label_agreement"):
            shares = next(iter(run["share_within_int8_steps"].values()), None)
            cell += f"; labels {min(run['label_agreement'].values()):.2%}"
            if shares:
                cell += f", within 1/2/3 steps {shares[1]:.2%}/{shares[2]:.2%}/{shares[3]:.2%}"
        cells.append(cell)
    return f"| {spec} | " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", required=True,
                        help="where the .tflite files, compiled models and reports go")
    parser.add_argument("--target", action="append", metavar="VENDOR:SOC",
                        help="compilation target (repeatable; default intel_openvino:LNL)")
    parser.add_argument("--intel-openvino-device", choices=("npu", "cpu", "gpu"), default="cpu",
                        help="OpenVINO device of the Intel plugin (default cpu)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), metavar="BACKBONE:ATTENTION",
                        help="default: the six shipped kinds")
    parser.add_argument("--size", type=int, default=64, help="input height and width")
    parser.add_argument("--alpha", type=float, default=0.35, help="width multiplier")
    parser.add_argument("--qat-steps", type=int, default=1, help="QAT steps after calibration")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = parser.parse_args(argv)
    targets = args.target or ["intel_openvino:LNL"]
    os.makedirs(args.output_dir, exist_ok=True)
    reports = {}
    if not args.json:
        print("| model | " + " | ".join(targets) + " |")
        print("|---|" + "---|" * len(targets))
    for spec in args.models:
        path = os.path.join(args.output_dir, spec.replace(":", "_") + "_qat_int8.tflite")
        write_qat_int8_file(spec, path, size=args.size, alpha=args.alpha,
                            qat_steps=args.qat_steps)
        report = compile_for_npu(path, targets, output_dir=args.output_dir,
                                 intel_openvino_device=args.intel_openvino_device)
        report.write(args.output_dir)
        reports[spec] = report.to_dict()
        if not args.json:
            print(markdown_row(spec, report), flush=True)
    if args.json:
        print(json.dumps(reports, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
