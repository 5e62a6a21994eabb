"""Train a MobileNet keypoint-heatmap model with Polarized Self-Attention (or SE / CBAM / none).

Top-down pose estimation, the PSA paper's headline task: one Gaussian heatmap
per joint, heatmap MSE with per-joint target weights, horizontal flips with the
skeleton's left/right joints swapped, COCO OKS AP (pycocotools' COCOeval) and
PCK@0.1 on the validation split every epoch; the best OKS AP is kept. Fault
tolerant: kill it (even with SIGKILL) and run the same command again.

Examples:
    keras-psa-train-keypoints --epochs 10 --output-dir runs/figures_psa
    keras-psa-train-keypoints --dataset coco:/data/coco --image-size 256,192 \\
        --backbone mobilenet_v3_large --attention psa_s --strategy mirrored
"""

import argparse
import json
import sys

from keras_psa.cli.backend_check import exit_unless_tensorflow_backend
from keras_psa.cli.choices import ATTENTIONS
from keras_psa.cli.choices import BACKBONES
from keras_psa.cli.choices import HEADS
from keras_psa.cli.choices import PSA_VARIANTS
from keras_psa.cli.choices import STRATEGIES
from keras_psa.cli.exit_codes import EXIT_CODES_HELP

POSITIONS = ("head", "stride4", "stride8", "stride16")


def _image_size(text):
    parts = text.replace("x", ",").split(",")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) != 2 or min(size) < 32:
        raise argparse.ArgumentTypeError(
            f"must be HEIGHT,WIDTH with both >= 32, e.g. 128,96. Received: {text!r}")
    return size


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        epilog=EXIT_CODES_HELP,
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    model = parser.add_argument_group("model")
    model.add_argument("--backbone", default="mobilenet_v3_small", choices=BACKBONES)
    model.add_argument("--head", default="fpn", choices=HEADS,
                       help="fpn: a feature-pyramid decoder to stride 4, PSA on its stride-4 "
                            "features (the keypoint head)")
    model.add_argument("--output-stride", type=int, default=4, choices=(1, 4),
                       help="heatmaps at a quarter of the input size (4) or at its size (1)")
    model.add_argument("--attention", default="psa_s", choices=ATTENTIONS,
                       help="psa_s by default: on the keypoint figures it doubles OKS AP over "
                            "no attention where psa_p adds nothing measurable (docs/study.md)")
    model.add_argument("--psa-variant", default="paper", choices=PSA_VARIANTS)
    model.add_argument("--attention-positions", default="head",
                       help=f"comma-separated subset of {','.join(POSITIONS)}")
    model.add_argument("--alpha", type=float, default=1.0, help="backbone width multiplier")
    model.add_argument("--head-filters", type=int, default=128)
    model.add_argument("--activation", default="linear", choices=("sigmoid", "linear"),
                       help="output activation of the heatmaps (linear: HRNet/UDP/mmpose's)")
    model.add_argument("--foreground-weight", type=float, default=10.0,
                       help="extra heatmap-MSE weight of the pixels within 2 sigma of a joint "
                            "(Adaptive Wing's weighted loss map); 0: plain MSE")
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default="figures",
                      help="'figures' (built-in procedural figures) or 'coco:ROOT' "
                           "(ROOT/annotations/person_keypoints_<split>*.json + images)")
    data.add_argument("--image-size", type=_image_size, default=(128, 96),
                      help="crop HEIGHT,WIDTH (COCO top-down crops are 4:3: 256,192 or 128,96)")
    data.add_argument("--sigma", type=float, default=None,
                      help="target Gaussian sigma in heatmap pixels (default: heatmap "
                           "height / 32, at least 2)")
    data.add_argument("--no-flip", action="store_true",
                      help="no random horizontal flips in training")
    data.add_argument("--batch-size", type=int, default=16, help="global batch size")
    data.add_argument("--train-examples", type=int, default=None,
                      help="figures in the training split (default 1000)")
    data.add_argument("--val-examples", type=int, default=None,
                      help="figures in the validation split (default 200)")
    data.add_argument("--data-seed", type=int, default=0,
                      help="seeds figures, order and flips (kept apart from --seed)")
    fit = parser.add_argument_group("training")
    fit.add_argument("--epochs", type=int, default=10)
    fit.add_argument("--steps-per-epoch", type=int, default=None,
                     help="default: one pass over the training split")
    fit.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (AdamW)")
    fit.add_argument("--schedule", default="cosine", choices=("cosine", "constant"))
    fit.add_argument("--warmup-steps", type=int, default=0)
    fit.add_argument("--weight-decay", type=float, default=1e-4)
    fit.add_argument("--bn-momentum", type=float, default=0.9,
                     help="BatchNormalization momentum; negative keeps the model's")
    fit.add_argument("--mixed-precision", action="store_true",
                     help="mixed float16 on GPU, mixed bfloat16 elsewhere")
    fit.add_argument("--seed", type=int, default=0, help="seeds the weight initialisation")
    fit.add_argument("--deterministic", action="store_true",
                     help="deterministic TensorFlow ops (slower)")
    run = parser.add_argument_group("run")
    run.add_argument("--output-dir", default="runs/keypoints")
    run.add_argument("--strategy", default="default", choices=STRATEGIES,
                     help="tf.distribute strategy; multiworker reads TF_CONFIG")
    run.add_argument("--tpu", default=None, help="TPU name or address for --strategy tpu")
    run.add_argument("--backup-steps", type=int, default=50,
                     help="steps between fault-tolerance backups")
    run.add_argument("--num-pictures", type=int, default=4,
                     help="validation images drawn in skeletons/heatmaps/attention PNGs")
    run.add_argument("--verbose", default="auto", choices=("auto", "0", "1", "2"),
                     help="progress bar (1), one line per epoch (2)")
    args = parser.parse_args(argv)
    positions = tuple(p.strip() for p in args.attention_positions.split(",") if p.strip())
    if not positions or any(p not in POSITIONS for p in positions):
        parser.error(f"--attention-positions must be a comma-separated subset of "
                     f"{','.join(POSITIONS)}. Received: {args.attention_positions!r}")
    args.attention_positions = positions
    return args


def config_from_args(args):
    from keras_psa.training import KeypointTrainConfig

    return KeypointTrainConfig(
        output_dir=args.output_dir, dataset=args.dataset, image_size=tuple(args.image_size),
        batch_size=args.batch_size, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        train_examples=args.train_examples, val_examples=args.val_examples,
        backbone=args.backbone, head=args.head, output_stride=args.output_stride,
        attention=None if args.attention == "none" else args.attention,
        attention_positions=args.attention_positions, psa_variant=args.psa_variant,
        alpha=args.alpha, head_filters=args.head_filters, activation=args.activation,
        foreground_weight=args.foreground_weight, sigma=args.sigma, flip=not args.no_flip,
        learning_rate=args.lr,
        schedule=args.schedule, warmup_steps=args.warmup_steps,
        weight_decay=args.weight_decay,
        bn_momentum=None if args.bn_momentum < 0 else args.bn_momentum,
        mixed_precision=args.mixed_precision, strategy=args.strategy, tpu=args.tpu,
        seed=args.seed, data_seed=args.data_seed, backup_steps=args.backup_steps,
        deterministic=args.deterministic, num_pictures=args.num_pictures,
    )


def main(argv=None):
    args = parse_args(argv)
    exit_unless_tensorflow_backend("keras-psa-train-keypoints")
    from keras_psa.training import train_keypoints  # after --help: TF is slow to import

    summary = train_keypoints(config_from_args(args), verbose=args.verbose)
    print(json.dumps({
        "val": summary["val"], "best": summary["best"],
        "params": summary["model"]["params"], "macs": summary["model"]["macs"],
        "train_seconds_this_process": summary["timing"]["train_seconds_this_process"],
        "output_dir": args.output_dir,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
