"""Writes a static web app that runs a .tflite file in the browser with LiteRT.js.

A person picks an image (or starts the camera) and sees the mask overlay with its
legend, or the skeleton, the milliseconds per frame and the backend (WebGPU where
the browser has it, else wasm). LiteRT.js comes from the project's node_modules
(`npm ci`, which make runs): nothing is fetched from a CDN.

Serve the folder over http (the wasm and ES modules do not load from file://):
`python -m http.server -d DIR` runs it on one wasm thread; the threaded build needs
a cross-origin isolated page (headers Cross-Origin-Opener-Policy: same-origin and
Cross-Origin-Embedder-Policy: require-corp). Test hook: `index.html?image=NAME`
runs NAME (a file in the folder, see --image) at load and sets
window.kerasPsaResult (docs/web.md).

Examples:
    keras-psa-web model.tflite --output-dir web
    keras-psa-web model.tflite --output-dir web --image scene.png
"""

import argparse
import sys

from keras_psa.cli.exit_codes import EXIT_CODES_HELP
from keras_psa.cli.exit_codes import EXIT_PASSED
from keras_psa.cli.exit_codes import EXIT_USAGE


def parse_args(argv=None):
    parser = argparse.ArgumentParser(epilog=EXIT_CODES_HELP, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the .tflite file (float32 input and output)")
    parser.add_argument("--output-dir", required=True, help="folder of the web app")
    parser.add_argument("--image", action="append", default=[], metavar="FILE",
                        help="an image copied beside the page, for index.html?image=NAME "
                             "(repeatable)")
    parser.add_argument("--pixel-range", nargs=2, type=float, default=None,
                        metavar=("LOW", "HIGH"),
                        help="value range the model's input takes (default: the file's "
                             "metadata)")
    args = parser.parse_args(argv)
    if args.pixel_range is not None and not args.pixel_range[0] < args.pixel_range[1]:
        parser.error(f"--pixel-range must be LOW HIGH with LOW < HIGH. "
                     f"Received: {args.pixel_range}")
    return args


def main(argv=None):
    args = parse_args(argv)
    from keras_psa.web import WebSetupError
    from keras_psa.web.web_app import write_web_app

    try:
        files = write_web_app(args.model, args.output_dir, images=args.image,
                              pixel_range=tuple(args.pixel_range) if args.pixel_range else None)
    except (ValueError, WebSetupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {len(files)} files to {args.output_dir}; serve it with: "
          f"python -m http.server -d {args.output_dir}, then open /index.html")
    return EXIT_PASSED


if __name__ == "__main__":
    sys.exit(main())
