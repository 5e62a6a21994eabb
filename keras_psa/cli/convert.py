"""Converts a Keras model (.keras, .h5 or SavedModel) to TFLite for mobile.

The model is rebuilt with a static batch of 1 and the given input size, so all
shapes are constants. The .tflite is written atomically, with a report
(<output>.report.json and .md) beside it: op histogram, tensor dtypes, size,
Keras-vs-TFLite error and delegation results.

The model metadata MediaPipe Tasks reads (labels, input normalization, output
activation) is written for the package's segmentation and heatmap models;
see docs/mediapipe.md.

Examples:
    keras-psa-convert model.keras --output model.tflite
    keras-psa-convert model.keras --output model_uint8.tflite \\
        --quantization int8 --input-dtype uint8 --labels background,person \\
        --representative shapes
    keras-psa-convert model.keras --output model_int8.tflite \\
        --quantization int8 --input-size 256 256 --representative shapes
"""

import argparse
import sys

from keras_psa.cli.backend_check import exit_unless_tensorflow_backend
from keras_psa.cli.exit_codes import EXIT_CODES_HELP
from keras_psa.cli.exit_codes import EXIT_PASSED
from keras_psa.cli.exit_codes import exit_code

MODES = ("float32", "float16", "dynamic", "int8")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        epilog=EXIT_CODES_HELP,description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help=".keras or .h5 file, or SavedModel directory")
    parser.add_argument("--output", required=True, help="the .tflite file to write")
    parser.add_argument("--quantization", choices=MODES, default="float32",
                        help="float32; float16 weights; dynamic (int8 weights); int8 "
                             "(post-training full integer). Default float32")
    parser.add_argument("--input-size", nargs=2, type=int, metavar=("H", "W"),
                        help="fixed input height and width (default: the model's)")
    parser.add_argument("--representative", default="random",
                        help="int8 calibration images, also the inputs of the parity and GPU "
                             "checks: a dataset name of keras_psa.data (shapes, digits), a "
                             "folder of images, or 'random' (default)")
    parser.add_argument("--num-calibration-samples", type=int, default=100,
                        help="calibration images for int8 (default 100)")
    parser.add_argument("--pixel-range", nargs=2, type=float, default=None,
                        metavar=("LOW", "HIGH"),
                        help="value range the model takes, for random/folder calibration and "
                             "parity images (default: read from the Rescaling at the model's "
                             "input, 0 255 for the package's models; required for other "
                             "models with random or folder images)")
    parser.add_argument("--int8-io", action="store_true",
                        help="int8 input and output tensors (int8 only; default float)")
    parser.add_argument("--float-ops", nargs="*", default=None, metavar="OP",
                        help="TFLite ops kept float in int8 models (default: SOFTMAX "
                             "HARD_SWISH, which XNNPACK has no int8 kernels for); "
                             "give no names to quantize everything")
    parser.add_argument("--no-xnnpack-fallback", action="store_true",
                        help="int8: do not keep float the int8 ops XNNPACK still refuses "
                             "(default: keep them float so XNNPACK takes the whole graph)")
    parser.add_argument("--float-scopes", nargs="*", default=None, metavar="REGEX",
                        help="name scopes whose non-convolution ops stay float in int8 "
                             "models (default: the PSA branches' softmax over H*W, weighted "
                             "sum and LayerNorm statistics); give none to quantize them")
    parser.add_argument("--labels", metavar="FILE|a,b,c",
                        help="class names for the model metadata: a label file (one name a "
                             "line) or a comma-separated list, one per output channel "
                             "(default: the names the training script saved beside the "
                             "model, if any)")
    parser.add_argument("--keypoint-names", metavar="FILE|a,b,c",
                        help="heatmap models: channel names for the metadata")
    parser.add_argument("--metadata", choices=["auto", "segmenter", "heatmap", "none"],
                        default="auto",
                        help="model metadata for MediaPipe Tasks (default auto: segmenter "
                             "metadata for the package's segmentation models or with "
                             "--labels, heatmap metadata for its heatmap models)")
    parser.add_argument("--input-dtype", choices=["float32", "uint8"], default="float32",
                        help="uint8: int8 models take uint8 camera frames as they are "
                             "(default float32)")
    parser.add_argument("--output-stride", type=int, default=None, metavar="N",
                        help="end the model before its final upsampling, at the head's "
                             "stride N (8 for Lite R-ASPP, 4 for DeepLabV3+), for consumers "
                             "that resize masks themselves (MediaPipe)")
    parser.add_argument("--output-activation", choices=["none", "softmax"], default="none",
                        help="segmenter metadata: activation MediaPipe applies to the output "
                             "for its confidence masks (default none: the logits)")
    parser.add_argument("--checks", nargs="*", default=["gpu-static", "xnnpack", "parity"],
                        choices=["gpu-static", "gpu", "gpu-fp16", "xnnpack", "parity", "browser"],
                        help="checks for the report (default gpu-static xnnpack parity; "
                             "'gpu' adds the real GPU-accelerator run, fp32 on SwiftShader; "
                             "'gpu-fp16' the fp16 emulation and range audit of phone GPUs; "
                             "'browser' the file on LiteRT.js in headless Chromium vs Python "
                             "LiteRT, as keras-psa-check --browser)")
    parser.add_argument("--unsafe-load", action="store_true",
                        help="load the model even if that runs Python code stored in it (a "
                             "Lambda layer); only for files you trust. Default: refused")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a report check fails (default: report only)")
    args = parser.parse_args(argv)
    if args.num_calibration_samples < 1:
        parser.error("--num-calibration-samples must be >= 1. "
                     f"Received: {args.num_calibration_samples}")
    return args


def _parity_images(args, pixel_range, count=4):
    """The first calibration images (real data when --representative names
    some), None for random ones."""
    if args.representative == "random":
        return None
    import numpy as np

    from keras_psa import export

    _, height, width, channels = export.inspect_model(args.output)["inputs"][0]["shape"]
    return np.concatenate(list(export.representative_images(
        args.representative, (height, width), channels, num_samples=count,
        pixel_range=pixel_range)))


def main(argv=None):
    args = parse_args(argv)
    exit_unless_tensorflow_backend("keras-psa-convert")
    from keras_psa import export
    from keras_psa.export.conversion.input_range import model_input_range
    from keras_psa.export.conversion.quantization_mode import GPU_TOLERANCE
    from keras_psa.export.metadata import training_class_names
    from keras_psa.saving import load_model

    float_ops = "auto" if args.float_ops is None else tuple(args.float_ops)
    float_scopes = "auto" if args.float_scopes is None else tuple(args.float_scopes)
    labels = args.labels if args.labels is not None else training_class_names(args.model)
    try:
        model = load_model(args.model, allow_unsafe=args.unsafe_load)
        pixel_range = tuple(args.pixel_range) if args.pixel_range else None
        if pixel_range is None and model is not None:
            pixel_range = model_input_range(model)
        export.convert_model(
            model if model is not None else args.model,
            args.output,
            quantization=args.quantization,
            input_size=args.input_size,
            representative=args.representative,
            num_calibration_samples=args.num_calibration_samples,
            pixel_range=pixel_range,
            int8_io=args.int8_io,
            float_ops=float_ops,
            float_scopes=float_scopes,
            xnnpack_fallback=not args.no_xnnpack_fallback,
            allow_unsafe=args.unsafe_load,
            labels=labels,
            keypoint_names=args.keypoint_names,
            metadata=None if args.metadata == "none" else args.metadata,
            input_dtype=args.input_dtype,
            output_stride=args.output_stride,
            output_activation=args.output_activation,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    checks = []
    # Real images when --representative names some, else random ones in the model's range.
    try:
        images = _parity_images(args, pixel_range) if model is not None else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if "gpu-static" in args.checks or "gpu" in args.checks:
        checks.append(export.check_gpu_compatibility(args.output))
    if "gpu" in args.checks:
        checks.append(export.run_gpu_accelerator(args.output, images=images,
                                                 pixel_range=pixel_range or (0.0, 1.0),
                                                 tolerance=GPU_TOLERANCE[args.quantization]))
    if "gpu-fp16" in args.checks:
        checks.append(export.check_gpu_fp16(args.output, images=images,
                                            pixel_range=pixel_range or (0.0, 1.0)))
    if "xnnpack" in args.checks:
        checks.append(export.check_xnnpack_delegation(args.output))
    if "browser" in args.checks:
        checks.append(export.run_browser(args.output, images=images,
                                         pixel_range=pixel_range or (0.0, 1.0)))
    if "parity" in args.checks and model is not None:
        if args.output_stride is not None:  # compare with the model cut the same way
            from keras_psa.export.conversion.output_stride import cut_before_final_upsampling

            model = cut_before_final_upsampling(model, args.output_stride)
        try:
            checks.append(export.check_keras_parity(model, args.output,
                                                    pixel_range=pixel_range, images=images))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    conversion = {"source": args.model, "quantization": args.quantization,
                  "input_size": args.input_size, "int8_io": args.int8_io,
                  "representative": args.representative if args.quantization == "int8" else None,
                  "pixel_range": pixel_range,
                  "float_ops": float_ops if args.quantization == "int8" else None,
                  "float_scopes": float_scopes if args.quantization == "int8" else None,
                  "input_dtype": args.input_dtype, "output_stride": args.output_stride}
    _json_path, md_path = export.write_report(args.output, checks, conversion)
    print(f"wrote {args.output} ({export.inspect_model(args.output)['size_bytes']:,} bytes)")
    for check in checks:
        print(check.summary())
    metadata = export.read_metadata(args.output)
    print(metadata.summary() if metadata is not None else "metadata: none")
    print(f"report: {md_path}")
    return exit_code(checks) if args.strict else EXIT_PASSED


if __name__ == "__main__":
    sys.exit(main())
