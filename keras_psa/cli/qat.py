"""QAT fine-tuning of a float segmentation or keypoint model, to all-int8 TFLite.

Rebuilds the run's model under tf_keras (this script re-executes itself with
TF_USE_LEGACY_KERAS=1: tensorflow-model-optimization needs tf_keras), loads the
Keras 3 weights, fine-tunes with quantization-aware training, converts with
Optimize.DEFAULT (the documented tfmot flow), makes a post-training int8 model
of the float weights for comparison, runs the device checks (static GPU rules,
LiteRT's real GPU accelerator, XNNPACK, Keras parity) and prints the validation
scores of float, QAT fake-quant Keras, QAT int8 TFLite and PTQ int8 TFLite as
a Markdown table and as JSON: mean IoU for a segmentation run (keras-psa-train),
OKS AP, PCK and the keypoint shift from float Keras for a keypoint run
(keras-psa-train-keypoints). Resumable: run the same command again after a crash.

Examples:
    keras-psa-train --dataset digits --output-dir runs/digits
    keras-psa-qat runs/digits --output-dir runs/digits_qat --steps 300
    keras-psa-train-keypoints --output-dir runs/figures
    keras-psa-qat runs/figures --output-dir runs/figures_qat
"""

import argparse
import json
import os
import sys

from keras_psa.cli.backend_check import exit_unless_tensorflow_backend
from keras_psa.cli.exit_codes import EXIT_CODES_HELP


def _image_size(text):
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) not in (1, 2) or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"must be SIDE or HEIGHT,WIDTH in pixels, e.g. 128 or 128,96; got {text!r}")
    return values[0] if len(values) == 1 else values


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        epilog=EXIT_CODES_HELP,
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("float_run",
                        help="output folder of keras-psa-train or keras-psa-train-keypoints "
                             "(summary.json + model.keras), or a .keras file in it")
    parser.add_argument("--output-dir", default="runs/qat")
    parser.add_argument("--checkpoint", default="model", choices=("model", "best"),
                        help="which float model of the run folder to start from")
    data = parser.add_argument_group("data (default: the float run's)")
    data.add_argument("--dataset", default=None,
                      help="'shapes', 'digits' or 'dir:PATH'; keypoints: 'figures' or "
                           "'coco:ROOT'")
    data.add_argument("--image-size", type=_image_size, default=None, metavar="SIZE",
                      help="side of a segmentation run's square images (128), or "
                           "HEIGHT,WIDTH of a keypoint run's crops (128,96)")
    data.add_argument("--train-examples", type=int, default=None)
    data.add_argument("--data-seed", type=int, default=None)
    fit = parser.add_argument_group("QAT")
    fit.add_argument("--steps", type=int, default=200, help="QAT optimizer steps")
    fit.add_argument("--steps-per-epoch", type=int, default=50,
                     help="steps between validations")
    fit.add_argument("--batch-size", type=int, default=16)
    fit.add_argument("--lr", type=float, default=2e-4, help="peak learning rate (cosine)")
    fit.add_argument("--backup-steps", type=int, default=25)
    fit.add_argument("--calibration-batches", type=int, default=8,
                     help="training batches that set the activation ranges before QAT "
                          "(0: tfmot's [-6, 6] start)")
    fit.add_argument("--freeze-batch-norm", action=argparse.BooleanOptionalAction,
                     default=True,
                     help="BatchNormalization frozen during QAT, in inference mode (the float "
                          "model's statistics, scale and offset kept)")
    fit.add_argument("--seed", type=int, default=0)
    ptq = parser.add_argument_group("post-training int8 (comparison)")
    ptq.add_argument("--ptq-samples", type=int, default=100,
                     help="calibration images (0: no post-training int8 files, no comparison)")
    ptq.add_argument("--ptq-float-ops", nargs="*", default=[], metavar="OP",
                     help="TFLite ops kept float in the PTQ model (none: all int8, like QAT; "
                          "'auto': the converter's XNNPACK default)")
    parser.add_argument("--unsafe-load", action="store_true",
                        help="load the float model even if that runs Python code stored in it "
                             "(a Lambda layer); only for files you trust. Default: refused")
    parser.add_argument("--no-gpu-run", action="store_true",
                        help="skip the run on LiteRT's GPU accelerator (SwiftShader)")
    parser.add_argument("--no-checks", action="store_true",
                        help="write and score the files without running the device checks "
                             "(run keras-psa-check on them later)")
    parser.add_argument("--verbose", default="auto", choices=("auto", "0", "1", "2"),
                        help="progress bar (1), one line per epoch (2)")
    parser.add_argument("--json-output", default=None, help="also write the JSON summary here")
    return parser.parse_args(argv)


def _reexec_with_tf_keras(argv):
    # The Keras flavor is fixed when TensorFlow is first imported: a new process.
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "keras_psa.cli.qat", *argv], env)


def main(argv=None):
    args = parse_args(argv)
    exit_unless_tensorflow_backend("keras-psa-qat")
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        _reexec_with_tf_keras(sys.argv[1:] if argv is None else list(argv))
    from keras_psa.quantization.qat_config import QATConfig
    from keras_psa.quantization.qat_finetune import qat_finetune

    float_ops = "auto" if args.ptq_float_ops == ["auto"] else tuple(args.ptq_float_ops)
    config = QATConfig(
        float_run=args.float_run, output_dir=args.output_dir, checkpoint=args.checkpoint,
        dataset=args.dataset, image_size=args.image_size, batch_size=args.batch_size,
        steps=args.steps, steps_per_epoch=args.steps_per_epoch, learning_rate=args.lr,
        train_examples=args.train_examples, data_seed=args.data_seed,
        backup_steps=args.backup_steps, calibration_batches=args.calibration_batches,
        freeze_batch_norm=args.freeze_batch_norm, ptq_samples=args.ptq_samples,
        ptq_float_ops=float_ops, gpu_run=not args.no_gpu_run,
        device_checks=not args.no_checks, seed=args.seed,
        allow_unsafe=args.unsafe_load,
    )
    summary = qat_finetune(config, verbose=args.verbose)
    with open(os.path.join(args.output_dir, "qat_summary.md")) as file:
        print(file.read())
    scores_key = "val_keypoints" if summary["task"] == "keypoints" else "val_mean_iou"
    result = {scores_key: summary[scores_key],
              "checks": {name: {c["name"]: c["status"] for c in found}
                         for name, found in summary["checks"].items()},
              "sizes_bytes": summary["sizes_bytes"], "timing": summary["timing"],
              "output_dir": args.output_dir}
    print(json.dumps(result, indent=2))
    if args.json_output:
        with open(args.json_output, "w") as file:
            json.dump(summary, file, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
