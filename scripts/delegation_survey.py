"""Delegation survey: every model `build_segmentation_model` can build, and the PSA
layers alone, converted to float32 / float16 / int8 and run through every check
(static GPU rules, real GPU accelerator run, XNNPACK, Keras parity, fp16 as on
phone GPUs).

Writes survey.json and survey.md into --output. The segmentation models are calibrated
and checked on real images (--images, the built-in digit scenes by default). Tiny models
(alpha 0.35) keep it to about 20 s a model-mode on 2 cores; the whole grid takes a while.

Examples:
    python scripts/delegation_survey.py --output /tmp/survey
    python scripts/delegation_survey.py --output /tmp/survey --backbones mobilenet_v3_small \
        --heads lraspp --modes int8
    python scripts/delegation_survey.py --output /tmp/survey_fp16 --checks gpu_fp16
"""

import argparse
import itertools
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BACKBONES = ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
             "mobilenet_v3_small_minimalistic", "mobilenet_v3_large_minimalistic")
HEADS = ("lraspp", "deeplabv3plus")
ATTENTIONS = ("none", "psa_p", "psa_s", "se", "cbam")
MODES = ("float32", "float16", "int8")
CHECKS = ("gpu_static", "gpu_run", "xnnpack", "keras_parity", "gpu_fp16")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, help="folder for survey.json/.md")
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES), choices=BACKBONES)
    parser.add_argument("--heads", nargs="+", default=list(HEADS), choices=HEADS)
    parser.add_argument("--attentions", nargs="+", default=list(ATTENTIONS), choices=ATTENTIONS)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--checks", nargs="+", default=list(CHECKS), choices=CHECKS,
                        help="checks to run (default all)")
    parser.add_argument("--size", type=int, default=64, help="input height and width")
    parser.add_argument("--images", default="digits",
                        help="real images of the segmentation models (a dataset name or "
                             "folder): int8 calibration and every check's inputs; 'random' "
                             "for uniform noise (int8 files are then 'not judged')")
    parser.add_argument("--no-layers", action="store_true", help="skip the PSA layers alone")
    parser.add_argument("--no-models", action="store_true", help="skip the segmentation models")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows of an existing survey.json and skip them")
    return parser.parse_args(argv)


def model_specs(args):
    """(label, builder, pixel_range) for every model of the survey."""
    from keras_psa.keras_flavor import keras
    from keras_psa.layers import PolarizedSelfAttention
    from keras_psa.models import build_segmentation_model

    specs = []
    if not args.no_layers:
        # 32x32 = 1024 positions: past int8 SOFTMAX's 1/256 output step.
        for layout, variant in itertools.product(("parallel", "sequential"),
                                                 ("paper", "official")):
            def layer_model(layout=layout, variant=variant):
                inputs = keras.Input((32, 32, 16), batch_size=1)
                x = keras.layers.Conv2D(16, 3, padding="same")(inputs)
                return keras.Model(inputs, PolarizedSelfAttention(layout, variant)(x))
            specs.append((f"PSA layer {layout}/{variant} 32x32x16", layer_model, (0.0, 1.0)))
    if not args.no_models:
        # Attention outermost: a partial run still covers every backbone and head.
        for attention, head, backbone in itertools.product(args.attentions, args.heads,
                                                           args.backbones):
            variants = ("paper", "official") if attention.startswith("psa") else ("paper",)
            for variant in variants:
                def seg_model(backbone=backbone, head=head, attention=attention,
                              variant=variant):
                    return build_segmentation_model(
                        backbone, 3, input_shape=(args.size, args.size, 3), head=head,
                        attention=None if attention == "none" else attention,
                        psa_variant=variant, alpha=0.35, batch_size=1)
                name = attention if not attention.startswith("psa") else f"{attention}/{variant}"
                specs.append((f"{backbone} {head} {name}", seg_model, (0.0, 255.0)))
    return specs


def run_checks(model, path, pixel_range, checks=CHECKS, images=None):
    from keras_psa import export
    from keras_psa.export.conversion.quantization_mode import GPU_TOLERANCE

    mode = export.infer_quantization_mode(path)
    runs = {
        "gpu_static": lambda: export.check_gpu_compatibility(path),
        "gpu_run": lambda: export.run_gpu_accelerator(path, tolerance=GPU_TOLERANCE[mode],
                                                      images=images, pixel_range=pixel_range),
        "xnnpack": lambda: export.check_xnnpack_delegation(path),
        "keras_parity": lambda: export.check_keras_parity(model, path, images=images,
                                                          pixel_range=pixel_range),
        "gpu_fp16": lambda: export.check_gpu_fp16(path, images=images, pixel_range=pixel_range),
    }
    return {name: runs[name]() for name in checks}


def label_floor(path, images):
    """Share of pixels with the same label on XNNPACK and on TFLite's builtin kernels,
    both fp32, on `images`: how near-tie a random-weight model's labels are."""
    from keras_psa.export.checks.error_measures import label_agreement
    from keras_psa.export.tflite.litert_runner import make_interpreter
    from keras_psa.export.tflite.litert_runner import run_tflite

    runs = [np.concatenate([run_tflite(path, image[None], interpreter=interpreter)[0]
                            for image in images])
            for interpreter in (make_interpreter(path, xnnpack=True),
                                make_interpreter(path, xnnpack=False))]
    return label_agreement(*runs)


def _cell(check, floor=None):
    if check is None:
        return "-"
    mark = {"passed": "ok", "failed": "FAIL", "unavailable": "n/a",
            "not judged": "not judged"}[check["status"]]
    details = check.get("details", {})
    if check["name"] == "keras_parity":
        return f"{mark} {max(details['relative_error']):.1e}"
    if check["name"] == "gpu_run" and details.get("relative_error"):
        return f"{mark} {max(details['relative_error'].values()):.1e}"
    if check["name"] == "gpu_fp16":
        emulation = details.get("emulation", {})
        errors = emulation.get("relative_error") or {}
        cell = f"{mark} {max(errors.values()):.1e}" if errors else mark
        labels = emulation.get("label_agreement") or {}
        steps = emulation.get("share_within_int8_steps") or {}
        if labels and steps:
            cell += (f" (labels {min(labels.values()):.2%}, within "
                     f"{emulation['int8_steps']} steps {min(steps.values()):.2%}")
            cell += f", fp32 floor {floor:.2%})" if floor is not None else ")"
        return cell
    if check["name"] == "xnnpack":
        return f"{mark} {details['num_delegated']}/{details['num_ops']}"
    return mark


def write_table(rows, folder):
    shown = [name for name in CHECKS if any(name in row["checks"] for row in rows)] or CHECKS
    lines = ["| model | mode | " + " | ".join(shown) + " |",
             "|---|---|" + "---|" * len(shown)]
    for row in rows:
        cells = [_cell(row["checks"].get(name), row.get("label_floor")) for name in shown]
        lines.append(f"| {row['model']} | {row['mode']} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(folder, "survey.md"), "w") as f:
        f.write("# Delegation survey\n\nGPU run: relative error GPU vs CPU; "
                "keras_parity: relative error Keras vs TFLite (XNNPACK); xnnpack: ops taken; "
                "gpu_fp16: relative error XNNPACK fp16 vs fp32 (and the range audit); int8: "
                "labels and int8 steps as in fp32, and the fp32 floor: labels equal on "
                "XNNPACK and TFLite's builtin kernels, both fp32.\n\n"
                + table)
    with open(os.path.join(folder, "survey.json"), "w") as f:
        json.dump(rows, f, indent=1, default=str)
    return table


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    from keras_psa.export import convert_model
    from keras_psa.export import representative_images

    os.makedirs(args.output, exist_ok=True)
    rows = []
    json_path = os.path.join(args.output, "survey.json")
    if args.resume and os.path.isfile(json_path):
        with open(json_path) as f:
            rows = json.load(f)
    done = {(row["model"], row["mode"]) for row in rows}
    specs = model_specs(args)
    progress = tqdm(total=len(specs) * len(args.modes), desc="survey")
    with tempfile.TemporaryDirectory(prefix="keras_psa_survey_") as tmp:
        for label, build, pixel_range in specs:
            modes = [m for m in args.modes if (label, m) not in done]
            progress.update(len(args.modes) - len(modes))
            model = build() if modes else None
            for mode in modes:
                path = os.path.join(tmp, "model.tflite")
                row = {"model": label, "mode": mode}
                # The PSA layers alone take feature maps, for which no images exist.
                source = "random" if label.startswith("PSA layer") else args.images
                try:
                    convert_model(model, path, mode, num_calibration_samples=16,
                                  representative=source, pixel_range=pixel_range)
                    images = None if source == "random" else np.concatenate(list(
                        representative_images(source, model.input_shape[1:3],
                                              num_samples=2, pixel_range=pixel_range)))
                    row["checks"] = {k: c.to_dict() for k, c in
                                     run_checks(model, path, pixel_range, args.checks,
                                                images).items()}
                    if mode == "int8" and images is not None:
                        row["label_floor"] = label_floor(path, images)
                except Exception as error:  # a failed conversion is a survey result too
                    row["checks"] = {}
                    row["error"] = f"{type(error).__name__}: {error}"[:500]
                rows.append(row)
                progress.update()
                write_table(rows, args.output)
    progress.close()
    print(write_table(rows, args.output))
    failed = [r for r in rows if "error" in r or any(
        c["status"] != "passed" for c in r["checks"].values())]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
