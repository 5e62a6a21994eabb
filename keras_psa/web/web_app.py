"""Writes the static web app of a `.tflite` file: the page, its ES modules, LiteRT.js
(copied from the installed npm package, nothing from a CDN), the model and its names."""

import json
import os
import shutil
import tempfile

from keras_psa.web.litert_js_run import APP_DIR
from keras_psa.web.web_setup import find_web_tools

APP_FILES = ("index.html", "app.js", "litert_runtime.js", "image_tensor.js", "draw.js")
# LiteRT.js' wasm builds the page may load: relaxed SIMD, without it, threaded (cross-origin
# isolated pages). The JSPI build is left out: the page never asks for it.
WASM_BUILDS = ("litert_wasm_internal", "litert_wasm_compat_internal",
               "litert_wasm_threaded_internal")


def _skeleton_limbs(joint_names):
    """The limbs of the package's skeleton with these joint names, else none."""
    from keras_psa.keypoints.skeleton import COCO_SKELETON
    from keras_psa.keypoints.skeleton import FIGURE_SKELETON

    for skeleton in (FIGURE_SKELETON, COCO_SKELETON):
        if tuple(joint_names) == skeleton.joint_names:
            return [list(limb) for limb in skeleton.limbs]
    return []


def app_config(model_path, pixel_range=None):
    """What the page needs to know of the file (`model.json`): the task, the input's size
    and range, the class names or joint names and skeleton, from its metadata."""
    from keras_psa.export.checks.browser_run import WEB_VARIANT
    from keras_psa.export.checks.browser_run import web_io_problems
    from keras_psa.export.metadata import read_metadata
    from keras_psa.export.tflite.litert_runner import make_interpreter
    from keras_psa.export.tflite.output_kind import HEATMAPS
    from keras_psa.export.tflite.output_kind import output_kind
    from keras_psa.export.tflite.tflite_graph import TFLiteGraph

    graph = TFLiteGraph.from_file(model_path)
    problems = web_io_problems(graph)
    if problems:
        raise ValueError(f"`model` must have float32 (or uint8) input and float32 output for "
                         f"LiteRT.js, which has no int8 tensors in JavaScript: "
                         f"{'; '.join(problems)}. {WEB_VARIANT}. Received: model={model_path}")
    if len(graph.inputs) != 1 or len(graph.inputs[0].shape) != 4 or graph.inputs[0].shape[3] != 3:
        raise ValueError("`model` must take one RGB image (1, H, W, 3). Received: inputs "
                         f"{[list(t.shape) for t in graph.inputs]} in {model_path}")
    metadata = read_metadata(model_path)
    pixel_range = pixel_range or (metadata.input_range if metadata is not None else None)
    if pixel_range is None:
        raise ValueError(f"`pixel_range` must be given: {model_path} has no input range in its "
                         "metadata (0 255 for keras_psa's models). Received: pixel_range=None")
    _, height, width, _ = (int(d) for d in graph.inputs[0].shape)
    (details,) = make_interpreter(model_path).get_input_details()
    scale, zero_point = details["quantization"]
    channels = int(graph.outputs[0].shape[-1])
    names = list(metadata.labels or []) if metadata is not None else []
    if len(names) != channels:
        names = [f"class {i}" for i in range(channels)]
    kind = output_kind(model_path)
    config = {"kind": kind, "model": "model.tflite",
              "title": (metadata.name if metadata is not None and metadata.name else
                        os.path.basename(model_path)),
              "input": {"height": height, "width": width, "range": list(pixel_range),
                        "dtype": graph.inputs[0].dtype.lower(),
                        "quantization": [float(scale), int(zero_point)]}}
    if kind == HEATMAPS:
        names = [name if not name.startswith("class ") else f"joint {i}"
                 for i, name in enumerate(names)]
        return {**config, "joint_names": names, "limbs": _skeleton_limbs(names)}
    return {**config, "class_names": names}


def write_web_app(model_path, output_dir, *, images=(), pixel_range=None, tools=None):
    """Writes the web app of `model_path` into `output_dir` and returns its files.

    Args:
        model_path: a `.tflite` with one RGB input (float32, or uint8 camera frames) and
            float32 output.
        output_dir: the folder (created; the app's files in it are replaced, others kept).
        images: image files copied beside the page (for `?image=NAME`).
        pixel_range: the input's value range (default: the file's metadata).
        tools: `WebTools` (default: `find_web_tools()`), where LiteRT.js comes from.

    The page works from any static server (`python -m http.server -d DIR`): on wasm with
    one thread there; LiteRT.js' threaded build needs a cross-origin isolated page,
    i.e. the headers `Cross-Origin-Opener-Policy: same-origin` and
    `Cross-Origin-Embedder-Policy: require-corp`.
    """
    model_path = os.fspath(model_path)
    config = app_config(model_path, pixel_range)
    for image in images:
        if not os.path.isfile(image):
            raise ValueError(f"`images` must be image files. Received: {image}")
    tools = tools or find_web_tools()
    core = tools.package("@litertjs/core")
    copies = {os.path.join(APP_DIR, name): name for name in APP_FILES}
    copies[os.fspath(core / "dist" / "index.js")] = "litert/core/dist/index.js"
    for build in WASM_BUILDS:
        for ext in (".js", ".wasm"):
            copies[os.fspath(core / "wasm" / (build + ext))] = f"litert/core/wasm/{build}{ext}"
    copies[os.fspath(tools.package("@litertjs/wasm-utils") / "dist" / "index.js")] = (
        "litert/wasm-utils/dist/index.js")
    copies[model_path] = "model.tflite"
    copies.update({os.fspath(image): os.path.basename(image) for image in images})
    os.makedirs(output_dir, exist_ok=True)
    # Built beside the folder, then moved in file by file: a failed copy leaves the old app.
    with tempfile.TemporaryDirectory(prefix=".web_app_", dir=output_dir) as staging:
        for source, name in copies.items():
            os.makedirs(os.path.dirname(os.path.join(staging, name)), exist_ok=True)
            shutil.copyfile(source, os.path.join(staging, name))
        with open(os.path.join(staging, "model.json"), "w") as f:
            json.dump(config, f, indent=2)
        written = [*copies.values(), "model.json"]
        for name in written:
            target = os.path.join(output_dir, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(os.path.join(staging, name), target)
    return written
