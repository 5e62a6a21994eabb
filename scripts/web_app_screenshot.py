"""A screenshot of keras-psa-web's page on a real image, in headless Chromium.

Writes the web app of MODEL into a temporary folder with a validation scene of
`--dataset` (rendered at `--image-size`; the page fits it to the model's input),
opens `index.html?image=scene.png`, waits for the page's result and saves the
screenshot.

python scripts/web_app_screenshot.py runs/pipeline/float32.tflite --output docs/web_app.png
"""

import argparse
import json
import tempfile

import numpy as np
from PIL import Image


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the .tflite file")
    parser.add_argument("--output", required=True, help="the PNG to write")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--index", type=int, default=0, help="which validation scene")
    parser.add_argument("--backend", choices=("wasm", "webgpu"), default=None,
                        help="default: the page's choice (WebGPU, else wasm)")
    args = parser.parse_args(argv)
    from keras_psa.data import validation_examples
    from keras_psa.web import StaticServer
    from keras_psa.web import open_pages
    from keras_psa.web.web_app import write_web_app

    images, _ = validation_examples(args.dataset, args.image_size, count=args.index + 1)
    with tempfile.TemporaryDirectory(prefix="keras_psa_screenshot_") as tmp:
        Image.fromarray(np.clip(np.round(images[args.index]), 0, 255).astype(np.uint8)).save(
            f"{tmp}/scene.png")
        write_web_app(args.model, f"{tmp}/site", images=[f"{tmp}/scene.png"])
        query = "image=scene.png" + (f"&backend={args.backend}" if args.backend else "")
        with StaticServer({"/": f"{tmp}/site"}) as server:
            (page,) = open_pages([{"url": server.url(f"index.html?{query}"),
                                   "result": "kerasPsaResult", "screenshot": args.output,
                                   "viewport": {"width": 860, "height": 640}}])
    result = page["result"] or {}
    if page["failure"] or "error" in result:
        raise SystemExit(f"the page failed: {page['failure'] or result['error']}")
    print(json.dumps({k: v for k, v in result.items() if k not in ("labels", "keypoints")}))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
