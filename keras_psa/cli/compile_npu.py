"""Compiles a .tflite ahead of time for NPUs with LiteRT's vendor plugins.

Per target: ops offloaded per subgraph, partitions, the ops left on the CPU by
name, compiled size and time; where the compiled model can run here (Intel
OpenVINO), a run through LiteRT's CompiledModel against the CPU interpreter on
--images (real ones: a trained int8 model fed noise runs outside the ranges it
was calibrated for) or random images: label agreement of segmentation logits,
keypoint shift of heatmaps (the rules: keras_psa.export.checks.task_criteria),
share of int8 outputs within 1/2/3 steps beside its floor (XNNPACK vs the same
CPU kernels).
Writes the compiled models and <name>.npu_report.json/.md into --output-dir.

TARGET is VENDOR:SOC, VENDOR a module under ai_edge_litert.aot.vendors
(google_tensor, intel_openvino, mediatek, qualcomm, samsung) and SOC one of
its SocModel names, or VENDOR:all for every SoC of the vendor.

Exit code 0 when every op is offloaded on every target (and runs agree); 1
when some are not; 2 for bad arguments or input (nothing is written then); 3
when a target cannot be compiled here (its vendor SDK is not installed; the
error names the package and how to provide it); 4 when the run was on random
images, which cannot judge the int8 file's labels or keypoints (pass --images).

Examples:
    keras-psa-compile-npu model_int8.tflite --target intel_openvino:LNL \\
        --intel-openvino-device cpu --images digits --num-inputs 8 --output-dir npu/
    keras-psa-compile-npu model_int8.tflite --target qualcomm:SM8650 \\
        --target mediatek:all --json
"""

import argparse
import json
import os
import sys

from keras_psa.cli.backend_check import exit_unless_tensorflow_backend
from keras_psa.cli.exit_codes import EXIT_CODES_HELP
from keras_psa.cli.exit_codes import EXIT_FAILED
from keras_psa.cli.exit_codes import EXIT_NOT_JUDGED
from keras_psa.cli.exit_codes import EXIT_PASSED
from keras_psa.cli.exit_codes import EXIT_UNAVAILABLE
from keras_psa.cli.exit_codes import EXIT_USAGE
from keras_psa.cli.image_inputs import add_image_arguments
from keras_psa.cli.image_inputs import run_inputs
from keras_psa.cli.image_inputs import validate_pixel_range


def _vendor_option(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, e.g. "
                                         f"qualcomm_use_htp_preference=true. Received: {text!r}")
    return key, value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        epilog=EXIT_CODES_HELP,description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the .tflite file (all-int8 for NPUs)")
    parser.add_argument("--target", action="append", required=True, metavar="VENDOR:SOC",
                        help="compilation target, e.g. intel_openvino:LNL, qualcomm:SM8650, "
                             "mediatek:all; repeat for several")
    parser.add_argument("--output-dir", metavar="DIR",
                        help="where the compiled models and the report go (default: the "
                             "model's folder)")
    parser.add_argument("--intel-openvino-device", choices=("npu", "cpu", "gpu"), default="npu",
                        help="OpenVINO device the Intel plugin compiles for (default npu; npu "
                             "needs OpenVINO's NPU compiler library, cpu compiles anywhere; the "
                             "ops offloaded are the same)")
    parser.add_argument("--vendor-option", action="append", type=_vendor_option, default=[],
                        metavar="KEY=VALUE", help="a flag for the vendor plugin; repeatable")
    parser.add_argument("--no-run", action="store_true",
                        help="do not run the compiled models through CompiledModel")
    parser.add_argument("--num-inputs", type=int, default=2,
                        help="inputs of the run (default 2)")
    add_image_arguments(parser, "of the run",
                        "the range in the file's metadata; 0 255, the package models' range, "
                        "without")
    parser.add_argument("--no-report", action="store_true",
                        help="do not write <name>.npu_report.json/.md")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.num_inputs < 1:
        parser.error(f"--num-inputs must be >= 1. Received: {args.num_inputs}")
    validate_pixel_range(parser, args)
    return args


def exit_code(report):
    """0 when every target passed; 1 when one failed; 3 when one could not compile here;
    4 when a run on random inputs could not judge the int8 file's labels or keypoints."""
    return {"passed": EXIT_PASSED, "failed": EXIT_FAILED, "unavailable": EXIT_UNAVAILABLE,
            "not judged": EXIT_NOT_JUDGED}[report.status]


def main(argv=None):
    args = parse_args(argv)
    exit_unless_tensorflow_backend("keras-psa-compile-npu")
    from keras_psa.export import compile_for_npu

    output_dir = args.output_dir or os.path.dirname(os.path.abspath(args.model))
    try:
        pixel_range, images = (run_inputs(args, default_range=(0.0, 255.0))
                               if not args.no_run else ((0.0, 255.0), None))
        report = compile_for_npu(
            args.model, args.target, output_dir=output_dir,
            intel_openvino_device=args.intel_openvino_device,
            vendor_options=dict(args.vendor_option), run=not args.no_run,
            num_inputs=args.num_inputs, pixel_range=pixel_range, images=images)
    except (ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not args.no_report:
        for path in report.write(output_dir):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report.summary())
    return exit_code(report)


if __name__ == "__main__":
    sys.exit(main())
