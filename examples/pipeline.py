"""The whole job on built-in data: train, QAT, int8 TFLite, device checks, benchmark, report.

Stages (each its own process, each skipped when its outputs exist, so a run
started again after a crash continues where it stopped):
  1. train a MobileNet+PSA segmenter (--task segmentation, the default) or keypoint-heatmap
     model (--task keypoints, the paper's pose task) under Keras 3
     (examples/train_segmentation.py, examples/train_keypoints.py);
  2. QAT fine-tune it under tf_keras, convert with Optimize.DEFAULT to all-int8
     TFLite, make a post-training int8 model for comparison, run the GPU-accelerator,
     XNNPACK and parity checks (examples/qat_finetune.py);
  3. convert the float model to float32 TFLite (keypoints: and float16) with the same
     checks (conversion/convert.py);
  4. benchmark float32 vs QAT int8 (all-int8 and XNNPACK files) vs PTQ int8 on XNNPACK
     (conversion/benchmark.py);
  5. write report.md (tables + the PNGs of training and benchmark) in the output dir.
The defaults finish in about 19 minutes (segmentation: 1130 s measured, the training beside
other jobs) and 12 minutes (keypoints: 691 s measured) on a 2-core CPU; --long trains a real
model.
Defaults that differ by task (dataset, head, image size, width, schedule) come from
TASK_DEFAULTS unless given.

Examples:
    python examples/pipeline.py --output-dir runs/pipeline
    python examples/pipeline.py --task keypoints --output-dir runs/pipeline_keypoints
    python examples/pipeline.py --output-dir runs/pipeline_long --long
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from keras_psa.cli.choices import BACKBONES  # noqa: E402
from keras_psa.cli.choices import HEADS  # noqa: E402
from keras_psa.cli.choices import PSA_VARIANTS  # noqa: E402
from keras_psa.export.checks.op_issue import distinct_issues  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# --long: a model worth deploying (hours on a CPU, minutes on a GPU).
LONG = {"alpha": 1.0, "head_filters": 128, "epochs": 20, "steps_per_epoch": 100,
        "qat_steps": 1000, "qat_lr": 2e-4}
# Keypoints keep the demo's 128x96 crops: 256x192 at alpha 1.0 is about 12x the demo's
# compute per step, hours on 2 cores.
LONG_IMAGE_SIZE = {"segmentation": "128", "keypoints": "128,96"}
TASK_DEFAULTS = {
    # Every training scene seen once (2000 steps x 16) at a peak lr of 1e-2: at lr 3e-3 the
    # model underfit (val mean IoU 0.30 and train 0.30 after 1000 steps; docs/quantization.md).
    "segmentation": {"dataset": "digits", "head": "deeplabv3plus", "image_size": "64",
                     "alpha": 0.5, "head_filters": 64, "epochs": 20, "steps_per_epoch": 100,
                     "lr": 1e-2, "train_examples": 32000, "attention": "psa_s",
                     # 500 QAT steps at 5e-4 (cosine): QAT int8 - float -0.0019
                     # [-0.0062, +0.0032] on the demo's float model, where 150 at 2e-4 gave
                     # -0.0066 [-0.0112, -0.0023] (docs/quantization.md).
                     "qat_steps": 500, "qat_lr": 5e-4},
    # 128x96 crops like COCO's small person crops; the FPN head's stride-4 heatmaps (32x24,
    # sigma 2); fresh figures every step at lr 1e-2 (docs/keypoints.md: the recipe).
    "keypoints": {"dataset": "figures", "head": "fpn", "image_size": "128,96",
                  "alpha": 0.5, "head_filters": 64, "epochs": 20, "steps_per_epoch": 100,
                  "lr": 1e-2, "train_examples": 32000, "attention": "psa_s",
                  "qat_steps": 150, "qat_lr": 2e-4},
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--task", default="segmentation", choices=tuple(TASK_DEFAULTS),
                        help="segmentation, or keypoints (heatmaps, OKS AP)")
    parser.add_argument("--output-dir", default=None,
                        help="default runs/pipeline (segmentation), runs/pipeline_keypoints")
    parser.add_argument("--dataset", default=None,
                        help="segmentation: 'digits' (default), 'shapes' or 'dir:PATH'; "
                             "keypoints: 'figures' (default) or 'coco:ROOT'")
    parser.add_argument("--backbone", default="mobilenet_v3_small",
                        choices=BACKBONES)
    parser.add_argument("--head", default=None, choices=HEADS,
                        help="default for segmentation: deeplabv3plus (its stride-4 decoder "
                             "learns the small digits at 64x64 within the demo's budget; "
                             "LR-ASPP mostly learns background); for keypoints: fpn (stride-4 "
                             "heatmaps, PSA on the stride-4 features)")
    parser.add_argument("--attention", default=None, choices=("psa_p", "psa_s"),
                        help="default psa_s for both tasks (the attention study: ahead of "
                             "psa_p on both, twice its keypoint OKS AP gain; docs/study.md)")
    parser.add_argument("--psa-variant", default="paper", choices=PSA_VARIANTS)
    parser.add_argument("--image-size", default=None,
                        help="N or H,W (default 64 for segmentation, 128,96 for keypoints)")
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--head-filters", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--steps-per-epoch", type=int, default=None)
    parser.add_argument("--train-examples", type=int, default=None)
    parser.add_argument("--val-examples", type=int, default=None,
                        help="keypoints: figures in the validation split (default 200)")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--qat-steps", type=int, default=None,
                        help="default 500 for segmentation, 150 for keypoints")
    parser.add_argument("--qat-lr", type=float, default=None,
                        help="default 5e-4 for segmentation, 2e-4 for keypoints")
    parser.add_argument("--benchmark-runs", type=int, default=30)
    parser.add_argument("--no-gpu-run", action="store_true",
                        help="skip LiteRT's real GPU accelerator (SwiftShader on CPU machines)")
    parser.add_argument("--long", action="store_true",
                        help="longer run: " + ", ".join(f"{k}={v}" for k, v in LONG.items()))
    args = parser.parse_args(argv)
    for key, value in TASK_DEFAULTS[args.task].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.long:
        for key, value in LONG.items():
            setattr(args, key, value)
        args.image_size = LONG_IMAGE_SIZE[args.task]
    if args.output_dir is None:
        args.output_dir = ("runs/pipeline" if args.task == "segmentation"
                           else "runs/pipeline_keypoints")
    parts = args.image_size.split(",")
    if len(parts) not in (1, 2) or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        parser.error(f"--image-size must be N or H,W. Received: {args.image_size!r}")
    if args.task == "segmentation" and len(parts) != 1:
        parser.error("--image-size of a segmentation run is one number (square images). "
                     f"Received: {args.image_size!r}")
    return args


def _env(legacy=False):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    return env


def _stage(name, command, timings, legacy=False, allowed_codes=(0,)):
    print(f"\n=== {name}: {' '.join(command)}", flush=True)
    started = time.time()
    done = subprocess.run([sys.executable, *command], env=_env(legacy), cwd=ROOT, check=False)
    if done.returncode not in allowed_codes:
        raise subprocess.CalledProcessError(done.returncode, command)
    timings[name] = round(time.time() - started, 1)
    print(f"=== {name} took {timings[name]:.0f} s", flush=True)


def _script(*parts):
    return os.path.join(ROOT, *parts)


def _train_command(args, folder):
    script = "train_segmentation.py" if args.task == "segmentation" else "train_keypoints.py"
    command = [_script("examples", script), "--output-dir", folder,
               "--dataset", args.dataset, "--backbone", args.backbone, "--head", args.head,
               "--attention", args.attention, "--psa-variant", args.psa_variant,
               "--image-size", args.image_size, "--alpha", str(args.alpha),
               "--head-filters", str(args.head_filters), "--batch-size", str(args.batch_size),
               "--epochs", str(args.epochs), "--steps-per-epoch", str(args.steps_per_epoch),
               "--lr", str(args.lr),
               "--warmup-steps", str(min(50, args.epochs * args.steps_per_epoch // 2)),
               "--verbose", "2"]
    if args.train_examples:
        command += ["--train-examples", str(args.train_examples)]
    if args.val_examples and args.task == "keypoints":
        command += ["--val-examples", str(args.val_examples)]
    return command


def _float32_mean_iou(args, folder, train_summary):
    from keras_psa.data import load_dataset
    from keras_psa.training.tflite_mean_iou import tflite_mean_iou

    dataset = train_summary["dataset"]
    val_data, _ = load_dataset(args.dataset, int(args.image_size), args.batch_size, split="val",
                               drop_remainder=False)
    return tflite_mean_iou(os.path.join(folder, "float32.tflite"), val_data,
                           dataset["num_classes"], dataset.get("ignore_label"))


def _float_keypoint_scores(args, folder, train_summary):
    """OKS AP and keypoint shift of the float TFLite files (the QAT stage scores its own)."""
    path = os.path.join(folder, "float_keypoint_scores.json")
    if os.path.isfile(path):
        with open(path) as file:
            return json.load(file)
    from keras_psa.quantization.qat_task import qat_task
    from keras_psa.saving import load_model

    task = qat_task(train_summary)
    float_model = load_model(os.path.join(folder, "float", "model.keras"))
    scores = {name: task.score_tflite(os.path.join(folder, f"{name}.tflite"), float_model)
              for name in FLOAT_FILES[args.task]}
    with open(path, "w") as file:
        json.dump(scores, file, indent=2)
    return scores


# The float files of each task: the keypoint demo also ships a float16 GPU file.
FLOAT_FILES = {"segmentation": ("float32",), "keypoints": ("float32", "float16")}
FLOAT16_SPEC = ("float16", "float16.tflite", "GPU delegate (half-size weights)",
                ("gpu_static", "gpu_run", "gpu_fp16", "xnnpack", "keras_parity", "val_score"),
                {})


def _verdicts(args, folder, train_summary, qat_summary, float_reports):
    from keras_psa.export.checks.shipping_verdict import COMPARISON_FILES
    from keras_psa.export.checks.shipping_verdict import SHIPPED_FILES
    from keras_psa.export.checks.shipping_verdict import file_verdict
    from keras_psa.quantization.qat_files import FILE_NAMES

    checks = _all_checks(args, folder, qat_summary, float_reports)
    if args.task == "keypoints":
        scores = qat_summary["val_keypoints"]
        by_file = {key: scores.get(name) for key, name in FILE_NAMES.items()}
        by_file.update(_float_keypoint_scores(args, folder, train_summary))
        specs = SHIPPED_FILES[:1] + (FLOAT16_SPEC,) + SHIPPED_FILES[1:] + COMPARISON_FILES
        return [file_verdict(spec, checks[spec[0]], keypoints=by_file[spec[0]],
                             reference_score=scores[_reference(spec[0])]["oks_ap"])
                for spec in specs if spec[0] in checks]
    mean_iou = qat_summary["val_mean_iou"]
    by_file = {key: mean_iou.get(name) for key, name in FILE_NAMES.items()}
    by_file["float32"] = _float32_mean_iou(args, folder, train_summary)
    # A QAT folder of an older run may lack the newer comparison files.
    return [file_verdict(spec, checks[spec[0]], by_file[spec[0]],
                         reference_score=mean_iou[_reference(spec[0])])
            for spec in SHIPPED_FILES + COMPARISON_FILES if spec[0] in checks]


def _all_checks(args, folder, qat_summary, float_reports):
    """Every file's checks: the QAT stage's, the float files' reports and, for segmentation,
    the shipped files in a web page (`_browser_checks`)."""
    checks = dict(qat_summary["checks"],
                  **{name: report["checks"] for name, report in float_reports.items()})
    if args.task == "segmentation":
        for key, check in _browser_checks(args, folder).items():
            checks[key] = [*checks.get(key, []), check]
    return checks


def _browser_checks(args, folder):
    """The shipped files on LiteRT.js in headless Chromium (wasm and WebGPU) vs Python
    LiteRT, on 8 validation images (`keras-psa-check --browser`); kept in
    browser_checks.json."""
    path = os.path.join(folder, "browser_checks.json")
    if os.path.isfile(path):
        with open(path) as file:
            return json.load(file)
    from keras_psa.data import validation_examples
    from keras_psa.export import run_browser
    from keras_psa.export.checks.shipping_verdict import SHIPPED_FILES

    images = validation_examples(args.dataset, int(args.image_size), count=8)[0]
    found = {key: run_browser(os.path.join(folder, file), images=images).to_dict()
             for key, file, *_ in SHIPPED_FILES if os.path.isfile(os.path.join(folder, file))}
    with open(path, "w") as file:
        json.dump(found, file, indent=2, default=str)
    return found


def _reference(file_key):
    """The Keras model a file is judged against: the one it was converted from."""
    return "QAT fake-quant (Keras)" if file_key.startswith("qat") else "float (Keras)"


GPU_ARITHMETIC_NOTE = (
    "`gpu_run` is fp32 arithmetic: LiteRT's GPU accelerator on SwiftShader, which has no "
    "shaderFloat16. Phone GPUs compute in fp16 by default: `gpu_fp16` stands for them (the "
    "file on XNNPACK forced to fp16 vs fp32, and a range audit of its fp32 intermediates).")
MEDIAPIPE_PYTHON = os.path.join(ROOT, ".venv-mediapipe", "bin", "python")
MEDIAPIPE_FILES = ("float32.tflite", "qat/qat_int8_xnnpack.tflite", "qat/qat_int8.tflite")


def _mediapipe_stage(args, folder):
    """MediaPipe Tasks' ImageSegmenter on the shipped files: its category mask vs the argmax
    of LiteRT's logits, on validation images. Returns the rows for the report."""
    import numpy as np

    from keras_psa.data import validation_examples
    from keras_psa.export import run_tflite

    if not os.path.isfile(MEDIAPIPE_PYTHON):
        return [{"file": f, "error": "not run: no .venv-mediapipe (bash "
                 "scripts/setup_mediapipe_env.sh creates it)"} for f in MEDIAPIPE_FILES]
    images = validation_examples(args.dataset, int(args.image_size), count=8)[0]
    images = np.clip(np.round(images), 0, 255).astype(np.uint8)
    images_path = os.path.join(folder, "mediapipe_images.npy")
    np.save(images_path, images)
    rows = []
    for name in MEDIAPIPE_FILES:
        path = os.path.join(folder, name)
        masks_path = os.path.join(folder, "mediapipe_" + os.path.basename(name) + ".npz")
        done = subprocess.run(
            [MEDIAPIPE_PYTHON, _script("scripts", "mediapipe_segment.py"), path, "--images",
             images_path, "--output", masks_path], capture_output=True, text=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {"error": done.stderr[-500:]}
        row = {"file": name, "labels": result.get("labels"), "error": result.get("error")}
        if not row["error"]:
            with np.load(masks_path) as masks:
                same = [np.mean(masks[f"category_{i}"] == np.argmax(
                    run_tflite(path, image[None].astype(np.float32))[0][0], -1))
                    for i, image in enumerate(images)]
            row["agreement"] = float(np.mean(same))
        rows.append(row)
    return rows


def _mediapipe_table(rows):
    lines = ["| file | labels from the metadata | category mask = LiteRT argmax |",
             "|---|---|---|"]
    for row in rows:
        if row.get("error"):
            lines.append(f"| `{row['file']}` | - | {row['error']} |")
        else:
            labels = ", ".join(row["labels"] or []) or "-"
            lines.append(f"| `{row['file']}` | {labels} | {row['agreement']:.2%} |")
    return "\n".join(lines) + "\n"


VERDICT_TEXT = {
    "segmentation":
        "Labels = reference: pixels whose label (argmax) equals the reference Keras model's "
        "on 4 images of the dataset (the reference: float Keras for float32 and PTQ, QAT "
        "fake-quant Keras for the QAT files). GPU labels = CPU: the same on LiteRT's GPU "
        "accelerator vs its CPU run. Mean IoU: the whole validation split, each file run on "
        "XNNPACK, its reference's in brackets.",
    "keypoints":
        "OKS AP: COCO's keypoint AP (pycocotools' COCOeval) on the whole validation split, "
        "each file run on XNNPACK, keypoints decoded from its heatmaps (UDP + DARK), its "
        "reference's in brackets (float Keras for the float and PTQ files, QAT fake-quant "
        "Keras for the QAT files). Keypoint shift: mean distance of the visible keypoints "
        "from the float Keras model's, in input pixels.",
}


# Why the built-in data: what a newcomer should read the figures against.
DATA_TEXT = {
    "digits":
        "Data: `digits`, built in (no download, the same scenes for every seed): 1 to 5 "
        "handwritten digits from scikit-learn's 8x8 set, scaled and placed on textured "
        "backgrounds, 11 classes (background + 10 digits). The task is both where (the "
        "masks) and which (telling handwritten digits apart); source digits of the "
        "validation split never appear in training.",
    "shapes":
        "Data: `shapes`, built in: textured circles, rectangles, triangles and stars with "
        "occluders and noise, 5 classes.",
    "figures":
        "Data: `figures`, built in: procedural articulated figures with a 14-joint skeleton "
        "(COCO-style visibility, boxes, occlusion and distractors) in top-down crops.",
}


# What --long reached, for the report of a default run (docs/quantization.md).
LONG_MEASURED = {
    "segmentation":
        "`--long` (alpha 1.0, 128 head filters, 128x128, 2000 float + 1000 QAT steps) reached "
        "val mean IoU 0.749 float, 0.770 QAT int8 (both files) and 0.746 PTQ int8 with the "
        "same op sets; every file 'ready' (39 min on 2 shared AMD EPYC cores, 2026-12-07).",
}


def _data_lines(args, train_summary):
    text = DATA_TEXT.get(args.dataset)
    if text is None:
        return []
    dataset = train_summary["dataset"]
    lines = [f"{text} {dataset['train_examples']:,} training and {dataset['val_examples']:,} "
             "validation examples.", ""]
    if not args.long and args.task in LONG_MEASURED:
        lines += [LONG_MEASURED[args.task], ""]
    return lines


def _same_op_set_lines(qat_summary):
    """QAT against post-training int8 with the same op set: the comparison that says
    whether QAT earns its place."""
    from keras_psa.quantization.qat_files import FILE_NAMES

    scores = qat_summary.get("val_mean_iou") or qat_summary["val_keypoints"]
    figure = "mean IoU" if "val_mean_iou" in qat_summary else "OKS AP"

    def score(key):
        found = scores.get(FILE_NAMES[key])
        return found["oks_ap"] if isinstance(found, dict) else found

    lines = ["## QAT vs post-training int8, same float islands", "",
             f"Val {figure} of each QAT file beside the post-training file meant to have its "
             "float islands (the ops it computes in float), and of float Keras. The islands "
             "differ where a QAT graph has another form (hard-swish decomposed into int8 "
             "ops).", "",
             f"| QAT file | {figure} | PTQ file | {figure} | QAT - PTQ | float ops, QAT | "
             "float ops, PTQ |", "|---|---|---|---|---|---|---|"]

    def ops(found):
        return ", ".join(f"{name} {count}" for name, count in found.items()) or "none"

    for qat, pair in (qat_summary.get("same_op_set") or {}).items():
        ptq = pair["ptq"]
        lines.append(f"| `{qat}` | {score(qat):.4f} | `{ptq}` | {score(ptq):.4f} | "
                     f"{score(qat) - score(ptq):+.4f} | {ops(pair['qat_float_ops'])} | "
                     f"{ops(pair['ptq_float_ops'])} |")
    float_score = scores["float (Keras)"]
    float_score = float_score["oks_ap"] if isinstance(float_score, dict) else float_score
    return lines + ["", f"Float Keras: {float_score:.4f}.", ""]


def _interval_lines(args, folder, train_summary):
    """QAT minus float and QAT minus PTQ with paired 95% intervals over the validation
    images, from keras-psa-evaluate's code (its files land in evaluation/)."""
    from keras_psa.cli.benchmark import cpu_description
    from keras_psa.inference.model_evaluation import evaluate_models

    output = os.path.join(folder, "evaluation")
    path = os.path.join(output, "evaluation.json")
    if os.path.isfile(path):
        with open(path) as file:
            result = json.load(file)
    else:
        qat_dir = os.path.join(folder, "qat")
        models = [os.path.join(qat_dir, "qat_int8.tflite"),
                  os.path.join(folder, "float", "model.keras"),
                  os.path.join(qat_dir, "ptq_int8.tflite")]
        config = train_summary["config"]
        # The validation set QAT scored: the float run's seed and (keypoints) size.
        val_examples = config.get("val_examples") if args.task == "keypoints" else None
        result = evaluate_models(models, args.dataset, split="val", output_dir=output,
                                 seed=config.get("data_seed") or 0, num_examples=val_examples)
    metric = "mean IoU" if args.task == "segmentation" else "OKS AP"
    lines = ["## QAT against float and PTQ, with intervals", "",
             f"Val {metric} differences of `qat/qat_int8.tflite`, paired over the "
             f"{result['num_images']} validation images, bootstrap 95% intervals "
             f"(`keras-psa-evaluate`; figures of {cpu_description()}):", "",
             "| difference | value | 95% interval |", "|---|---|---|"]
    names = {"model.keras": "QAT int8 - float (Keras)",
             "ptq_int8.tflite": "QAT int8 - PTQ int8"}
    for diff in result["differences"]:
        # evaluate gives OTHER - QAT; the negation's interval is the mirrored one.
        low, high = diff["ci95"]
        lines.append(f"| {names[os.path.basename(diff['model'])]} | {-diff['difference']:+.4f} "
                     f"| [{-high:+.4f}, {-low:+.4f}] |")
    return lines + ["", "Details: `evaluation/evaluation.md`.", ""]


def _score_lines(args, folder, train_summary, qat_summary):
    from keras_psa.quantization.qat_files import FILE_NAMES

    sizes = {name: qat_summary["sizes_bytes"][key] for key, name in FILE_NAMES.items()
             if key in qat_summary["sizes_bytes"]}
    if args.task == "segmentation":
        lines = ["## Validation mean IoU", "",
                 "| model | val mean IoU | .tflite bytes |", "|---|---|---|"]
        for name, value in qat_summary["val_mean_iou"].items():
            lines.append(f"| {name} | {value:.4f} | {sizes.get(name, '')} |")
        return lines
    scores = dict(qat_summary["val_keypoints"])
    for name, value in _float_keypoint_scores(args, folder, train_summary).items():
        label = f"{name} (TFLite)"
        scores[label] = value
        sizes[label] = os.path.getsize(os.path.join(folder, f"{name}.tflite"))
    lines = ["## Validation keypoints", "",
             "| model | OKS AP | AP50 | AP75 | PCK@0.1 | mean error (px) | shift vs float "
             "Keras (px) | vs QAT Keras (px) | .tflite bytes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, v in scores.items():
        vs_qat = v.get("shift_vs_qat_keras_px")
        lines.append(f"| {name} | {v['oks_ap']:.4f} | {v['oks_ap50']:.4f} | "
                     f"{v['oks_ap75']:.4f} | {v['pck']:.4f} | {v['mean_error_px']:.2f} | "
                     f"{v['shift_vs_float_keras_px']:.2f} | "
                     f"{'' if vs_qat is None else f'{vs_qat:.2f}'} | {sizes.get(name, '')} |")
    return lines


def _report(args, folder, timings, train_summary, qat_summary, float_reports):
    from keras_psa.export.checks.shipping_verdict import verdict_table

    with open(os.path.join(folder, "benchmark", "benchmark.md")) as file:
        benchmark = file.read().split("\n", 2)[2]
    verdicts = _verdicts(args, folder, train_summary, qat_summary, float_reports)
    with open(os.path.join(folder, "verdict.json"), "w") as file:
        json.dump([v.to_dict() for v in verdicts], file, indent=2)
    size = args.image_size.replace(",", "x") if "," in args.image_size else (
        f"{args.image_size}x{args.image_size}")
    lines = [
        "# keras-psa pipeline report", "",
        "## Verdict: which file to ship", "",
        VERDICT_TEXT[args.task], "",
        verdict_table(verdicts, task=args.task),
        f"{args.task}: {args.backbone} + {args.head} + {args.attention} ({args.psa_variant}), "
        f"alpha {args.alpha}, {size}, dataset `{args.dataset}`; "
        f"{args.epochs * args.steps_per_epoch} float steps, {args.qat_steps} QAT steps.",
        "", f"Model: {train_summary['model']['params']:,} parameters, "
        f"{train_summary['model']['macs']:,} MACs.", "",
        *_data_lines(args, train_summary),
        *_score_lines(args, folder, train_summary, qat_summary), "",
        *_same_op_set_lines(qat_summary),
        *_interval_lines(args, folder, train_summary),
    ]
    lines += ["", "## Device checks", "", GPU_ARITHMETIC_NOTE, "",
              "| model | check | status | result |", "|---|---|---|---|"]
    all_checks = _all_checks(args, folder, qat_summary, float_reports)
    for name, found in all_checks.items():
        lines += [f"| {name} | {c['name']} | {c['status']} | {c['message']} |" for c in found]
    for name, found in all_checks.items():
        for check in found:
            lines += [f"- {name} / {check['name']}: {line}"
                      for line in distinct_issues(check["issues"])]
    if args.task == "segmentation":
        lines += ["", "## MediaPipe Tasks ImageSegmenter", "",
                  "MediaPipe's real ImageSegmenter (Python, CPU) on 8 validation images, "
                  "reading the metadata the converter wrote (labels, input normalization):",
                  "", _mediapipe_table(_mediapipe_stage(args, folder))]
    npu_report = os.path.join(folder, "npu", "qat_int8.npu_report.md")
    if os.path.isfile(npu_report):
        with open(npu_report) as file:
            npu = file.read().split("\n", 1)[1].strip()
        lines += ["", "## NPU compilation of the all-int8 file (LiteRT AOT)", "", npu]
    lines += ["", "## XNNPACK latency (median ms, interleaved runs)", "", benchmark.strip(), "",
              "![benchmark](benchmark/benchmark.png)", "", "## Training pictures", ""]
    for picture in sorted(os.listdir(os.path.join(folder, "float"))):
        if picture.endswith(".png"):
            lines.append(f"![{picture}](float/{picture})")
    lines += ["", "## Run time (s)", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {name} | {seconds} |" for name, seconds in timings.items()]
    lines += ["", "Detailed reports: `qat/qat_summary.json`, `qat/*.report.md`, "
              + ", ".join(f"`{name}.report.md`" for name in float_reports)
              + ", `float/summary.json`."]
    path = os.path.join(folder, "report.md")
    with open(path, "w") as file:
        file.write("\n".join(lines) + "\n")
    return path


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    folder = os.path.abspath(args.output_dir)
    os.makedirs(folder, exist_ok=True)
    float_dir, qat_dir = os.path.join(folder, "float"), os.path.join(folder, "qat")
    # Stage times survive a resumed run (a finished stage is not run again).
    timings_path = os.path.join(folder, "timings.json")
    timings = {}
    if os.path.isfile(timings_path):
        with open(timings_path) as file:
            timings = json.load(file)
    if not os.path.isfile(os.path.join(float_dir, "summary.json")):
        _stage("train (Keras 3)", _train_command(args, float_dir), timings)
    if not os.path.isfile(os.path.join(qat_dir, "qat_summary.json")):
        command = [_script("examples", "qat_finetune.py"), float_dir, "--output-dir", qat_dir,
                   "--steps", str(args.qat_steps),
                   "--steps-per-epoch", str(min(50, args.qat_steps)),
                   "--batch-size", str(args.batch_size), "--lr", str(args.qat_lr),
                   "--verbose", "2"]
        if args.no_gpu_run:
            command.append("--no-gpu-run")
        _stage("QAT + int8 conversion + checks (tf_keras)", command, timings, legacy=True)
    checks = ["gpu-static", "gpu-fp16", "xnnpack", "parity"] + ([] if args.no_gpu_run else ["gpu"])
    for name in FLOAT_FILES[args.task]:
        if not os.path.isfile(os.path.join(folder, f"{name}.report.json")):
            # Calibration-free modes; the named dataset gives the parity check real images.
            _stage(f"{name} conversion + checks", [
                _script("conversion", "convert.py"), os.path.join(float_dir, "model.keras"),
                "--output", os.path.join(folder, f"{name}.tflite"), "--quantization", name,
                "--representative", args.dataset, "--checks", *checks], timings)
    float_files = [os.path.join(folder, f"{name}.tflite") for name in FLOAT_FILES[args.task]]
    _stage("benchmark", [
        _script("conversion", "benchmark.py"), *float_files,
        os.path.join(qat_dir, "qat_int8.tflite"), os.path.join(qat_dir, "qat_int8_xnnpack.tflite"),
        os.path.join(qat_dir, "ptq_int8.tflite"),
        "--output", os.path.join(folder, "benchmark"), "--runs", str(args.benchmark_runs)],
        timings)
    npu_dir = os.path.join(folder, "npu")
    if not os.path.isfile(os.path.join(npu_dir, "qat_int8.npu_report.json")):
        # Exit 1 (some op left on the CPU) or 3 (target unavailable) is a finding for the
        # report, not a failure of the demo.
        _stage("NPU compilation (LiteRT AOT, Intel OpenVINO)", [
            _script("conversion", "compile_npu.py"), os.path.join(qat_dir, "qat_int8.tflite"),
            "--target", "intel_openvino:LNL", "--intel-openvino-device", "cpu",
            "--images", args.dataset, "--num-inputs", "8",
            "--output-dir", npu_dir], timings, allowed_codes=(0, 1, 3))
    timings["this invocation"] = round(time.time() - started, 1)
    timings["all stages"] = round(sum(v for k, v in timings.items()
                                      if k not in ("this invocation", "all stages")), 1)
    with open(timings_path, "w") as file:
        json.dump(timings, file, indent=2)
    with open(os.path.join(float_dir, "summary.json")) as file:
        train_summary = json.load(file)
    with open(os.path.join(qat_dir, "qat_summary.json")) as file:
        qat_summary = json.load(file)
    float_reports = {}
    for name in FLOAT_FILES[args.task]:
        with open(os.path.join(folder, f"{name}.report.json")) as file:
            float_reports[name] = json.load(file)
    # The benchmark's PNG sits next to the report; the training PNGs stay in float/.
    report = _report(args, folder, timings, train_summary, qat_summary, float_reports)
    shutil.copy(report, os.path.join(folder, "README.md"))
    with open(report) as file:
        print(file.read())
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
