"""Checks a .tflite model: GPU delegate (static rules and a real run), fp16 as phone GPUs
compute, XNNPACK, parity, and the same file in a web page (LiteRT.js in headless Chromium).

The real GPU run (--gpu) computes in fp32 where no GPU is present (SwiftShader has no
shaderFloat16); --gpu-fp16 stands for a phone GPU's fp16: the file on XNNPACK forced to
fp16 vs fp32, and a range audit of its fp32 intermediates.

Exit code 0 only when every requested check passes; 1 when one fails (each
offending op is named with the reason); 3 when a check could not run here (no
Vulkan device for the GPU run; a failure instead when the env var CI is set);
LiteRT.js cannot open a file with int8 input or output: --browser is then
"unavailable" (exit 3) and names the file's web variant. 4 when an int8 file
was compared on random images, which cannot judge its
labels or keypoints (pass --images). The rules: keras_psa.export.checks.task_criteria.

Examples:
    keras-psa-check model.tflite --gpu --xnnpack
    keras-psa-check model_int8.tflite --xnnpack --reference model.keras --images digits
    keras-psa-check model.tflite --gpu-fp16 --images shapes --pixel-range 0 255
    keras-psa-check model_int8.tflite --browser --images digits
"""

import argparse
import json
import sys

from keras_psa.cli.backend_check import exit_unless_tensorflow_backend
from keras_psa.cli.exit_codes import EXIT_CODES_HELP
from keras_psa.cli.exit_codes import exit_code
from keras_psa.cli.image_inputs import add_image_arguments
from keras_psa.cli.image_inputs import run_inputs
from keras_psa.cli.image_inputs import validate_pixel_range


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        epilog=EXIT_CODES_HELP,description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the .tflite file")
    parser.add_argument("--gpu", action="store_true",
                        help="GPU delegate: static per-op rules and a real run on LiteRT's GPU "
                             "accelerator (SwiftShader on machines without a GPU: fp32 "
                             "arithmetic, as SwiftShader has no shaderFloat16)")
    parser.add_argument("--gpu-fp16", action="store_true",
                        help="fp16 as phone GPUs compute: the file on XNNPACK forced to fp16 vs "
                             "fp32 (exit 3 on CPUs without AVX2/F16C, and for all-int8 files, "
                             "of which it takes no op) and a range audit of its "
                             "fp32 intermediates (tensors, sums, LayerNorm epsilon, squares)")
    parser.add_argument("--gpu-static-only", action="store_true",
                        help="with --gpu: only the static rules, no real run")
    parser.add_argument("--xnnpack", action="store_true",
                        help="every op delegated to XNNPACK on CPU")
    parser.add_argument("--browser", action="store_true",
                        help="the file on LiteRT.js in headless Chromium (wasm, and WebGPU "
                             "where Chromium gives an adapter) vs Python LiteRT's CPU on the "
                             "same images; needs node and `npm ci` (make does) and chromium")
    parser.add_argument("--reference", metavar="MODEL.keras",
                        help="Keras model (.keras/.h5/SavedModel) to compare outputs with")
    parser.add_argument("--num-inputs", type=int, default=4,
                        help="inputs for --reference, --gpu-fp16 and --browser (default 4); "
                             "the GPU run takes the first")
    add_image_arguments(parser, "for --reference, --gpu, --gpu-fp16 and --browser (an int8 "
                        "file's labels or keypoints are judged on real images only)",
                        "read from the Rescaling at the reference model's input, else from "
                        "the file's metadata; required for other models")
    parser.add_argument("--unsafe-load", action="store_true",
                        help="load --reference even if that runs Python code stored in it (a "
                             "Lambda layer); only for files you trust. Default: refused")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="relative error bound for --reference and the GPU run "
                             "(default: per quantization mode)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--report", action="store_true",
                        help="also write <model>.report.json/.md beside the model")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if not (args.gpu or args.gpu_fp16 or args.xnnpack or args.reference or args.browser):
        parser.error("request at least one check: --gpu, --gpu-fp16, --xnnpack, --browser or "
                     "--reference")
    if args.num_inputs < 1:
        parser.error(f"--num-inputs must be >= 1. Received: {args.num_inputs}")
    validate_pixel_range(parser, args)
    return args


def run_checks(args):
    from keras_psa import export
    from keras_psa.export.conversion.quantization_mode import GPU_TOLERANCE
    from keras_psa.saving import load_model

    reference = None
    if args.reference:
        reference = load_model(args.reference, allow_unsafe=args.unsafe_load)
        if reference is None:
            raise ValueError(f"`--reference` must be a Keras model; {args.reference} is a "
                             "SavedModel without Keras metadata.")
    pixel_range, images = run_inputs(args, reference)
    checks = []
    if args.gpu:
        checks.append(export.check_gpu_compatibility(args.model))
        if not args.gpu_static_only:
            mode = export.infer_quantization_mode(args.model)
            tolerance = args.tolerance or GPU_TOLERANCE[mode]
            checks.append(export.run_gpu_accelerator(
                args.model, tolerance=tolerance, images=images,
                pixel_range=pixel_range or (0.0, 1.0)))
    if args.gpu_fp16:
        checks.append(_gpu_fp16(args, pixel_range, images))
    if args.xnnpack:
        checks.append(export.check_xnnpack_delegation(args.model, num_threads=args.threads))
    if args.browser:
        checks.append(export.run_browser(args.model, images=images,
                                         pixel_range=pixel_range or (0.0, 1.0),
                                         tolerance=args.tolerance, threads=args.threads))
    if reference is not None:
        checks.append(export.check_keras_parity(reference, args.model,
                                                num_inputs=args.num_inputs,
                                                tolerance=args.tolerance,
                                                pixel_range=pixel_range, images=images))
    return checks


def _gpu_fp16(args, pixel_range, images):
    from keras_psa import export

    if pixel_range is None:
        raise ValueError(f"--gpu-fp16 needs the input's value range: {args.model} has no input "
                         "stats in its metadata, so pass --pixel-range LOW HIGH (0 255 for "
                         "keras_psa's models).")
    return export.check_gpu_fp16(args.model, images=images, pixel_range=pixel_range,
                                 num_inputs=args.num_inputs)


def main(argv=None):
    args = parse_args(argv)
    exit_unless_tensorflow_backend("keras-psa-check")
    try:
        checks = run_checks(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.report:
        from keras_psa.export import write_report

        write_report(args.model, checks)
    if args.json:
        print(json.dumps({"model": args.model, "checks": [c.to_dict() for c in checks]},
                         indent=2, default=str))
    else:
        for check in checks:
            print(check.summary())
    return exit_code(checks)


if __name__ == "__main__":
    sys.exit(main())
