"""XNNPACK latency of `.tflite` models, measured so that ratios hold on a noisy machine."""

import time

import numpy as np

from keras_psa.export.litert_runner import make_interpreter
from keras_psa.export.quantized_io import to_model_input


def measure_latency(model_paths, num_threads=1, warmup=5, runs=50, seed=0):
    """Median milliseconds per invoke for each model, runs interleaved A/B/...

    Every round invokes each model once in turn, so a slow spell of the machine
    hits all models alike and their ratios stay meaningful.

    Returns:
        dict from path to {"median_ms", "p10_ms", "p90_ms"}.
    """
    if runs < 1 or warmup < 0:
        raise ValueError(f"`runs` must be >= 1 and `warmup` >= 0. Received: {runs}, {warmup}")
    rng = np.random.default_rng(seed)
    interpreters = {}
    for path in model_paths:
        interpreter = make_interpreter(path, num_threads=num_threads, xnnpack=True)
        for details in interpreter.get_input_details():
            image = rng.random(details["shape"], dtype=np.float32)
            interpreter.set_tensor(details["index"], to_model_input(image, details))
        interpreters[path] = interpreter
    for _ in range(warmup):
        for interpreter in interpreters.values():
            interpreter.invoke()
    samples = {path: [] for path in interpreters}
    for _ in range(runs):
        for path, interpreter in interpreters.items():
            start = time.perf_counter()
            interpreter.invoke()
            samples[path].append((time.perf_counter() - start) * 1000.0)
    return {
        path: {"median_ms": float(np.median(v)), "p10_ms": float(np.percentile(v, 10)),
               "p90_ms": float(np.percentile(v, 90))}
        for path, v in samples.items()
    }
