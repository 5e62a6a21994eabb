"""XNNPACK latency of `.tflite` models, measured so that ratios hold on a noisy machine."""

import time

import numpy as np

from keras_psa.export.tflite.litert_runner import make_interpreter
from keras_psa.export.tflite.quantized_io import to_model_input


def measure_latency(model_paths, num_threads=1, warmup=5, runs=50, seed=0):
    """Median milliseconds per invoke for each model, runs interleaved A/B/...

    Every round invokes each model once in turn, starting one model later each
    round, so a slow spell of the machine hits all models alike and no model
    always runs right after the same other one; their ratios stay meaningful
    (see `paired_ratio`).

    Returns:
        dict from path to {"median_ms", "p10_ms", "p90_ms", "samples_ms"}, with
        `samples_ms[i]` taken in round i.
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
    order = list(interpreters)
    for round_index in range(runs):
        shift = round_index % len(order)
        for path in order[shift:] + order[:shift]:
            interpreter = interpreters[path]
            start = time.perf_counter()
            interpreter.invoke()
            samples[path].append((time.perf_counter() - start) * 1000.0)
    return {
        path: {"median_ms": float(np.median(v)), "p10_ms": float(np.percentile(v, 10)),
               "p90_ms": float(np.percentile(v, 90)), "samples_ms": v}
        for path, v in samples.items()
    }


def paired_ratio(result_a, result_b):
    """Median over rounds of latency A / latency B, from `measure_latency` results
    of the same call: pairing runs of one round cancels the machine's drift."""
    a = np.asarray(result_a["samples_ms"])
    b = np.asarray(result_b["samples_ms"])
    return float(np.median(a / b))
