"""Scores .keras and .tflite files on a labelled dataset through the inference path.

Segmentation: mean IoU as training logs it, per-class IoU, pixel accuracy, a
confusion-matrix PNG and a PNG of the worst images; keypoints: OKS AP, AP50, AP75
(pycocotools), PCK@0.1, mean error in pixels. With two or more files, each one's
paired difference to the first with a bootstrap 95% interval over the images.
Writes evaluation.json and evaluation.md.

Examples:
    keras-psa-evaluate runs/digits/float32.tflite runs/digits/qat/qat_int8.tflite \\
        --dataset digits --output-dir runs/digits/evaluation
    keras-psa-evaluate model_int8.tflite --dataset dir:my_data --split val --output-dir ev
"""

import argparse
import sys

from keras_psa.cli.exit_codes import EXIT_PASSED
from keras_psa.cli.exit_codes import EXIT_USAGE
from keras_psa.cli.exit_codes import unavailable_exit_code
from keras_psa.cli.model_flags import add_model_flags
from keras_psa.cli.model_flags import predictor_of


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes: 0 every model scored; 2 bad arguments or input (a model, a "
               "dataset), nothing written")
    parser.add_argument("models", nargs="+", metavar="MODEL", help=".keras or .tflite files")
    parser.add_argument("--dataset", required=True,
                        help="digits, shapes, dir:PATH, figures or coco:ROOT")
    parser.add_argument("--split", default="val")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--seed", type=int, default=0, help="the dataset's seed")
    parser.add_argument("--num-examples", type=int, default=None,
                        help="examples of a built-in dataset's split (default: its own)")
    parser.add_argument("--num-classes", type=int, default=None,
                        help="classes of a dir: dataset without classes.txt")
    parser.add_argument("--resamples", type=int, default=None,
                        help="bootstrap resamples (default 1000 segmentation, 300 keypoints)")
    parser.add_argument("--no-progress", action="store_true")
    add_model_flags(parser)
    args = parser.parse_args(argv)
    if args.resamples is not None and args.resamples < 10:
        parser.error(f"--resamples must be >= 10. Received: {args.resamples}")
    return args


def main(argv=None):
    args = parse_args(argv)
    from keras_psa.inference.evaluation_report import evaluation_markdown
    from keras_psa.inference.gpu_runner import GpuRunnerError
    from keras_psa.inference.model_evaluation import evaluate_models

    try:
        predictors = [predictor_of(args, model) for model in args.models]
        result = evaluate_models(predictors, args.dataset, split=args.split,
                                 output_dir=args.output_dir, seed=args.seed,
                                 num_examples=args.num_examples, num_classes=args.num_classes,
                                 resamples=args.resamples, progress=not args.no_progress)
    except GpuRunnerError as error:
        print(f"error: {error}", file=sys.stderr)
        return unavailable_exit_code()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(evaluation_markdown(result))
    print(f"wrote evaluation.json and evaluation.md to {args.output_dir}")
    return EXIT_PASSED


if __name__ == "__main__":
    sys.exit(main())
