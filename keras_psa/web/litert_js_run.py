"""Runs a `.tflite` file on LiteRT.js in headless Chromium, on given inputs."""

import base64
import json
import os
import shutil
import tempfile

import numpy as np

from keras_psa.web.browser_pages import open_pages
from keras_psa.web.static_server import StaticServer
from keras_psa.web.web_setup import find_web_tools

APP_DIR = os.path.join(os.path.dirname(__file__), "app")
ACCELERATORS = ("wasm", "webgpu")
# Input dtypes LiteRT.js takes from JavaScript typed arrays (2.5.3).
INPUT_DTYPES = ("float32", "uint8", "int32")


def litert_js_routes(tools):
    """URL prefixes of LiteRT.js as the pages import it (`app/litert_runtime.js`)."""
    return {"/litert/core/": str(tools.package("@litertjs/core")),
            "/litert/wasm-utils/": str(tools.package("@litertjs/wasm-utils"))}


def litert_js_version(tools):
    with open(tools.package("@litertjs/core") / "package.json") as f:
        return json.load(f)["version"]


def _decode(run):
    """The page's base64 outputs as float32 arrays `(N, ...)` by output name."""
    if not run.get("outputs"):
        return {}
    names = run["output_names"]

    def array(output):
        return np.frombuffer(base64.b64decode(output["base64"]), np.float32).reshape(
            output["shape"])[0]

    return {name: np.stack([array(image[i]) for image in run["outputs"]])
            for i, name in enumerate(names)}


def run_litert_js(model_path, images, *, accelerators=ACCELERATORS, threads=1,
                  threaded_build=None, warmup=3, repeats=20, tools=None, timeout=180):
    """Runs `model_path` on each of `accelerators` in one Chromium page.

    Args:
        model_path: a `.tflite` file.
        images: `(N, H, W, C)` in the model's input dtype (float32, uint8 or int32),
            one model input each.
        accelerators: of `ACCELERATORS`; WebGPU runs where Chromium gives an adapter.
        threads: wasm threads; above 1, LiteRT.js' threaded build (the page is
            cross-origin isolated).
        threaded_build: load the threaded build (default: whether `threads` > 1).
        warmup, repeats: runs before and within the latency samples (first image).
        tools: `WebTools` (default: `find_web_tools()`).
        timeout: seconds for the page.

    Returns:
        `{"page": {...}, "runs": {accelerator: {...}}}`: the page's facts
        (`adapter`, `cross_origin_isolated`, `relaxed_simd`, `console`, `page_errors`, `failure`)
        and per accelerator `error` or `unavailable` (why it did not run),
        `fully_accelerated`, `outputs` (`{name: (N, ...) float32}`), `run_ms`
        and `total_ms` (samples: `run()` alone, and with the outputs read back).
    """
    for accelerator in accelerators:
        if accelerator not in ACCELERATORS:
            raise ValueError(f"`accelerators` must be of {ACCELERATORS}. "
                             f"Received: {accelerator!r}")
    if threads < 1:
        raise ValueError(f"`threads` must be >= 1. Received: threads={threads}")
    images = np.ascontiguousarray(images)
    if images.dtype.name not in INPUT_DTYPES:
        raise ValueError(f"`images` must be of {INPUT_DTYPES}, the model's input dtype. "
                         f"Received: dtype={images.dtype}")
    tools = tools or find_web_tools()
    with tempfile.TemporaryDirectory(prefix="keras_psa_litert_js_") as tmp:
        shutil.copyfile(model_path, os.path.join(tmp, "model.tflite"))
        images.tofile(os.path.join(tmp, "inputs.bin"))
        config = {"model": "/data/model.tflite", "inputs": "/data/inputs.bin",
                  "dtype": images.dtype.name,
                  "shape": list(images.shape), "accelerators": list(accelerators),
                  "threads": threads, "warmup": warmup, "repeats": repeats,
                  "threaded_build": threads > 1 if threaded_build is None else threaded_build}
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f)
        with StaticServer({"/": APP_DIR, "/data/": tmp, **litert_js_routes(tools)}) as server:
            (page,) = open_pages([{"url": server.url("check.html?config=/data/config.json"),
                                   "result": "kerasPsaCheck"}], tools, timeout=timeout)
    result = page["result"] or {}
    facts = {"adapter": result.get("adapter"),
             "cross_origin_isolated": result.get("cross_origin_isolated"),
             "relaxed_simd": result.get("relaxed_simd"),
             "user_agent": result.get("user_agent"), "console": page["console"],
             "page_errors": page["page_errors"],
             "failure": page["failure"] or result.get("error"),
             "litert_js": litert_js_version(tools)}
    runs = {name: {**run, "outputs": _decode(run)}
            for name, run in (result.get("runs") or {}).items()}
    return {"page": facts, "runs": runs}
