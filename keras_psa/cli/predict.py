"""Runs a .keras or .tflite segmentation or keypoint model on images, folders and videos.

Writes per image NAME_overlay.png (and NAME_mask.png, pixel value = class index, for
segmentation), per video NAME_overlay.mp4 with every frame annotated, and
predictions.json (COCO keypoint results for a keypoint model). Masks and keypoints
are in each image's own pixels, EXIF orientation applied. Exit code 0 when every
input was read; 1 when some were skipped (each named with the reason; the others are
written); 2 for bad arguments or a model file that needs a flag it was not given.

Examples:
    keras-psa-predict runs/digits/float32.tflite photos/ clip.mp4 --output-dir out
    keras-psa-predict figures_int8.tflite val2017/ --boxes person_keypoints_val2017.json \\
        --output-dir out
"""

import argparse
import sys

from keras_psa.cli.exit_codes import EXIT_FAILED
from keras_psa.cli.exit_codes import EXIT_PASSED
from keras_psa.cli.exit_codes import EXIT_USAGE
from keras_psa.cli.exit_codes import unavailable_exit_code
from keras_psa.cli.model_flags import add_model_flags
from keras_psa.cli.model_flags import predictor_of


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes: 0 every input written; 1 an input could not be read (named with "
               "its reason and skipped, the others written); 2 bad arguments, or a model that "
               "lacks what a flag must give (--task, --pixel-range), nothing written")
    parser.add_argument("model", help="a .keras or .tflite file")
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="image files (JPEG, PNG, BMP, WebP), folders, globs, videos "
                             "(mp4, mov, avi, mkv)")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--boxes", default=None,
                        help="person boxes for a top-down keypoint model: a COCO annotation "
                             "file or detection results (default: the whole image)")
    parser.add_argument("--frame-masks", action="store_true",
                        help="also write a mask PNG per video frame")
    parser.add_argument("--no-progress", action="store_true")
    add_model_flags(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from keras_psa.inference.gpu_runner import GpuRunnerError
    from keras_psa.inference.person_boxes import read_person_boxes
    from keras_psa.inference.prediction_run import run_predictions

    try:
        predictor = predictor_of(args, args.model)
        boxes = read_person_boxes(args.boxes) if args.boxes else None
    except GpuRunnerError as error:
        print(f"error: {error}", file=sys.stderr)
        return unavailable_exit_code()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    run = run_predictions(predictor, args.sources, args.output_dir, boxes=boxes,
                          frame_masks=args.frame_masks, progress=not args.no_progress)
    for source, reason in run.problems:
        print(f"skipped {source}: {reason}", file=sys.stderr)
    model_ms, total_ms = run.median_ms()
    runtime = predictor.runner.runtime
    if predictor.runner.kind == "tflite" and predictor.runner.gpu is None:
        runtime += f" ({'XNNPACK' if not args.no_xnnpack else 'builtin kernels'}, " \
                   f"{args.threads} thread{'s' if args.threads > 1 else ''})"
    print(f"{len(run.total_ms)} images/frames on {runtime}; {len(run.problems)} skipped")
    if total_ms is not None:
        print(f"median per image: model {model_ms:.1f} ms, whole image {total_ms:.1f} ms")
    print(f"wrote {len(run.written)} files to {args.output_dir}")
    return EXIT_FAILED if run.problems else EXIT_PASSED


if __name__ == "__main__":
    sys.exit(main())
