"""LiteRT.js wasm in headless Chromium vs Python LiteRT (XNNPACK), same files, same
threads, side by side in one run: median milliseconds per frame.

Builds MobileNetV3-Large + Lite R-ASPP + PSA_p at 256x256 (21 classes, random weights:
latency does not depend on them), converts it to float32 and int8 (float I/O,
the web variant), and times each file on Python LiteRT and on LiteRT.js' wasm,
with one thread (the relaxed-SIMD build) and with N threads (the threaded build,
in a cross-origin isolated page), in rounds that rotate the order. The browser's
figure is `run()` plus reading the outputs back, what an app pays per frame;
`run()` alone is beside it.

python scripts/web_benchmark.py --output-dir runs/web_benchmark --threads 1 2
"""

import argparse
import json
import os
import platform

import numpy as np


def build_files(output_dir, size, calibration):
    from keras_psa.export import convert_model
    from keras_psa.models import build_segmentation_model

    paths = {mode: os.path.join(output_dir, f"lraspp_large_{size}_{mode}.tflite")
             for mode in ("float32", "int8")}
    model = build_segmentation_model("mobilenet_v3_large", 21, input_shape=(size, size, 3),
                                     head="lraspp")
    for mode, path in paths.items():
        if not os.path.isfile(path):
            convert_model(model, path, mode, pixel_range=(0.0, 255.0),
                          num_calibration_samples=calibration)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="runs/web_benchmark")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calibration", type=int, default=16,
                        help="random calibration images of the int8 file")
    args = parser.parse_args(argv)
    from keras_psa.export.tflite.latency import measure_latency
    from keras_psa.web.litert_js_run import run_litert_js

    os.makedirs(args.output_dir, exist_ok=True)
    paths = build_files(args.output_dir, args.size, args.calibration)
    image = np.random.default_rng(0).uniform(0, 255, (1, args.size, args.size, 3)).astype(
        np.float32)
    configs = [(mode, threads) for threads in args.threads for mode in paths]
    samples = {config: {"python": [], "browser": [], "browser_run": [], "ratio": []}
               for config in configs}
    facts = {}
    # Rounds, each taking every configuration in a rotated order, so that a slow spell of a
    # shared machine hits both runtimes alike; the ratio is the median of per-round ratios.
    for round_index in range(args.rounds):
        shift = round_index % len(configs)
        for mode, threads in configs[shift:] + configs[:shift]:
            path = paths[mode]
            python = measure_latency([path], num_threads=threads, warmup=args.warmup,
                                     runs=args.runs)[path]["samples_ms"]
            found = run_litert_js(path, image, accelerators=("wasm",), threads=threads,
                                  warmup=args.warmup, repeats=args.runs, timeout=600)
            run = found["runs"]["wasm"]
            if run.get("error"):
                raise RuntimeError(f"{mode}, {threads} threads: {run['error']}")
            found_samples = samples[(mode, threads)]
            found_samples["python"] += python
            found_samples["browser"] += run["total_ms"]
            found_samples["browser_run"] += run["run_ms"]
            found_samples["ratio"].append(float(np.median(run["total_ms"]) / np.median(python)))
            facts[(mode, threads)] = {**{k: found["page"][k] for k in (
                "cross_origin_isolated", "relaxed_simd", "litert_js", "user_agent")},
                "fully_accelerated": run["fully_accelerated"]}
            print(f"round {round_index}: {mode}, {threads} threads: Python "
                  f"{np.median(python):.1f} ms, browser {np.median(run['total_ms']):.1f} ms",
                  flush=True)
    rows = [{"file": mode, "threads": threads,
             "python_ms": float(np.median(samples[(mode, threads)]["python"])),
             "browser_ms": float(np.median(samples[(mode, threads)]["browser"])),
             "browser_run_ms": float(np.median(samples[(mode, threads)]["browser_run"])),
             "ratio": float(np.median(samples[(mode, threads)]["ratio"])),
             **facts[(mode, threads)]} for mode, threads in configs]
    cpu = platform.processor() or platform.machine()
    lines = [f"MobileNetV3-Large + Lite R-ASPP + PSA_p {args.size}x{args.size}, {cpu}, "
             f"{os.cpu_count()} cores; LiteRT.js {rows[0]['litert_js']} wasm vs Python LiteRT "
             f"XNNPACK; median of {args.rounds} rounds x {args.runs} runs; relaxed SIMD "
             f"{rows[0]['relaxed_simd']}", "",
             "| file | threads | Python LiteRT (ms) | LiteRT.js wasm, run + read-back (ms) | "
             "run only (ms) | browser / Python (per-round median) |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['file']} | {r['threads']} | {r['python_ms']:.1f} | {r['browser_ms']:.1f} | "
              f"{r['browser_run_ms']:.1f} | {r['ratio']:.2f}x |"
              for r in rows]
    table = "\n".join(lines) + "\n"
    print(table)
    with open(os.path.join(args.output_dir, "web_benchmark.json"), "w") as f:
        json.dump(rows, f, indent=2)
    with open(os.path.join(args.output_dir, "web_benchmark.md"), "w") as f:
        f.write(table)


if __name__ == "__main__":
    main()
