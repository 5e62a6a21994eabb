"""Train a MobileNet segmentation model with Polarized Self-Attention (or SE / CBAM / none).

Fault tolerant: kill it (even with SIGKILL) and run the same command again; it
continues at the last backup step and ends as an uninterrupted run would.

Examples:
    keras-psa-train --dataset digits --epochs 10 \\
        --output-dir runs/digits_psa
    keras-psa-train --dataset dir:/data/voc --image-size 256 \\
        --backbone mobilenet_v3_large --head deeplabv3plus --attention psa_s \\
        --strategy mirrored --mixed-precision
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        epilog=EXIT_CODES_HELP,
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    model = parser.add_argument_group("model")
    model.add_argument("--backbone", default="mobilenet_v3_small",
                       choices=BACKBONES)
    model.add_argument("--head", default="lraspp", choices=HEADS)
    model.add_argument("--attention", default="psa_s", choices=ATTENTIONS)
    model.add_argument("--psa-variant", default="paper", choices=PSA_VARIANTS)
    model.add_argument("--attention-positions", default="head",
                       help=f"comma-separated subset of {','.join(POSITIONS)}")
    model.add_argument("--alpha", type=float, default=1.0, help="backbone width multiplier")
    model.add_argument("--head-filters", type=int, default=128)
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default="digits",
                      help="'shapes', 'digits' or 'dir:PATH' (images/ + masks/)")
    data.add_argument("--image-size", type=int, default=128)
    data.add_argument("--batch-size", type=int, default=16, help="global batch size")
    data.add_argument("--train-examples", type=int, default=None,
                      help="scenes in the training split of a built-in dataset")
    data.add_argument("--val-examples", type=int, default=None,
                      help="scenes in the validation split of a built-in dataset (default "
                           "200)")
    data.add_argument("--data-seed", type=int, default=0,
                      help="seeds scenes, order and augmentation (kept apart from --seed)")
    fit = parser.add_argument_group("training")
    fit.add_argument("--epochs", type=int, default=10)
    fit.add_argument("--steps-per-epoch", type=int, default=None,
                     help="default: one pass over the training split")
    fit.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (AdamW)")
    fit.add_argument("--schedule", default="cosine", choices=("cosine", "constant"))
    fit.add_argument("--warmup-steps", type=int, default=0)
    fit.add_argument("--weight-decay", type=float, default=1e-4)
    fit.add_argument("--bn-momentum", type=float, default=0.9,
                     help="BatchNormalization momentum (MobileNet's own 0.999 suits only "
                          "long runs); negative keeps the model's")
    fit.add_argument("--mixed-precision", action="store_true",
                     help="mixed float16 on GPU, mixed bfloat16 elsewhere")
    fit.add_argument("--seed", type=int, default=0, help="seeds the weight initialisation")
    fit.add_argument("--deterministic", action="store_true",
                     help="deterministic TensorFlow ops (slower)")
    run = parser.add_argument_group("run")
    run.add_argument("--output-dir", default="runs/segmentation")
    run.add_argument("--strategy", default="default",
                     choices=STRATEGIES,
                     help="tf.distribute strategy; multiworker reads TF_CONFIG")
    run.add_argument("--tpu", default=None, help="TPU name or address for --strategy tpu")
    run.add_argument("--backup-steps", type=int, default=50,
                     help="steps between fault-tolerance backups")
    run.add_argument("--num-pictures", type=int, default=4,
                     help="validation images drawn in predictions/attention PNGs")
    run.add_argument("--verbose", default="auto", choices=("auto", "0", "1", "2"),
                     help="progress bar (1), one line per epoch (2)")
    args = parser.parse_args(argv)
    positions = tuple(p.strip() for p in args.attention_positions.split(",") if p.strip())
    unknown = [p for p in positions if p not in POSITIONS]
    if unknown or not positions:
        parser.error(f"--attention-positions must be a comma-separated subset of "
                     f"{','.join(POSITIONS)}. Received: {args.attention_positions!r}")
    args.attention_positions = positions
    return args


def config_from_args(args):
    from keras_psa.training import TrainConfig

    return TrainConfig(
        output_dir=args.output_dir, dataset=args.dataset, image_size=args.image_size,
        batch_size=args.batch_size, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        train_examples=args.train_examples, val_examples=args.val_examples,
        backbone=args.backbone, head=args.head,
        attention=None if args.attention == "none" else args.attention,
        attention_positions=args.attention_positions, psa_variant=args.psa_variant,
        alpha=args.alpha, head_filters=args.head_filters, learning_rate=args.lr,
        schedule=args.schedule, warmup_steps=args.warmup_steps,
        weight_decay=args.weight_decay,
        bn_momentum=None if args.bn_momentum < 0 else args.bn_momentum,
        mixed_precision=args.mixed_precision,
        strategy=args.strategy, tpu=args.tpu, seed=args.seed, data_seed=args.data_seed,
        backup_steps=args.backup_steps, deterministic=args.deterministic,
        num_pictures=args.num_pictures,
    )


def main(argv=None):
    args = parse_args(argv)
    exit_unless_tensorflow_backend("keras-psa-train")
    from keras_psa.training import train_segmentation  # after --help: TF is slow to import

    summary = train_segmentation(config_from_args(args), verbose=args.verbose)
    model = summary["model"]
    print(json.dumps({
        "val": summary["val"], "best": summary["best"],
        "params": model["params"], "macs": model["macs"],
        "train_seconds_this_process": summary["timing"]["train_seconds_this_process"],
        "output_dir": args.output_dir,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
